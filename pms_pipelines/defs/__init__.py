"""The Dagster layer: assets, jobs, sensors and schedules wiring the plain-Python parts."""
