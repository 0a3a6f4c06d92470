"""Operations people launch: replay the stream, re-drive dead letters, re-sync an agency,
register or disable one. Each is plain Python here, a Dagster job in
`defs/ops_jobs.py` (`ops_*`, launched from the launchpad) and a command of
`python -m pms_pipelines.ops` (`cli.py`)."""

from datetime import datetime


def aware_time(text: str) -> datetime:
    """An ISO 8601 time that names its time zone (the command line and the jobs' config)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"{text!r} is not an ISO 8601 time") from error
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (add Z or +00:00)")
    return moment
