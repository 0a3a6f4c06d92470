"""Which runs are still queued or running, by one of their tags: sensors and schedules
ask for no second run of a shard or an agency while one is on its way."""

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

IN_FLIGHT = [
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def tag_values_in_flight(instance: DagsterInstance, job_name: str | None, tag: str) -> set[str]:
    """The values of `tag` on runs in flight of `job_name` (None: of any job, e.g. pulls
    launched by a backfill, which run as Dagster's asset job)."""
    records = instance.get_run_records(RunsFilter(job_name=job_name, statuses=IN_FLIGHT))
    return {r.dagster_run.tags[tag] for r in records if tag in r.dagster_run.tags}
