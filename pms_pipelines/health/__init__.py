"""What the health asset checks compute, in plain Python (SQL and stream probes): each
function returns `Outcome`s that `pms_pipelines.defs.health_checks` turns into Dagster
asset-check results."""
