"""Operations people launch: replay the stream, re-drive dead letters, re-sync an agency,
register or disable one. Each is plain Python here, a Dagster job in
`defs/ops_jobs.py` (`ops_*`, launched from the launchpad) and a command of
`python -m pms_pipelines.ops` (`cli.py`)."""
