"""Dagster's own history does not grow for ever: a daily job deletes finished runs
(with their event logs) older than `PMS_RUN_RETENTION_DAYS`, oldest first and a bounded
number per run. Dagster's storage shares the database with the pipeline's tables (RDS
in AWS); the instance's `retention` block (dagster.yaml) purges sensor and schedule
ticks the same way. Runs that have not finished are never touched. The pull log the
health view reads (`ingest.pull_log`) is cut at the same age."""

from datetime import datetime, timedelta, timezone

from dagster import (
    Config,
    DagsterRunStatus,
    DefaultScheduleStatus,
    OpExecutionContext,
    RunsFilter,
    ScheduleDefinition,
    job,
    op,
)

from pms_pipelines.db.pull_log import delete_pull_log_before
from pms_pipelines.defs.resources import PostgresResource
from pms_pipelines.settings import schedules

PURGE_JOB = "purge_old_runs"
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]


class PurgeConfig(Config):
    keep_days: float = schedules().run_retention_days
    """Finished runs created longer ago than this are deleted, with their event logs."""
    max_runs: int = 20_000
    """At most this many runs per purge (the next day's run goes on)."""


@op(name="delete_old_runs")
def delete_old_runs(context: OpExecutionContext, config: PurgeConfig,
                    postgres: PostgresResource) -> None:
    instance = context.instance
    cutoff = datetime.now(timezone.utc) - timedelta(days=config.keep_days)
    records = instance.get_run_records(
        RunsFilter(statuses=FINISHED, created_before=cutoff), limit=config.max_runs,
        order_by="create_timestamp", ascending=True)
    for number, record in enumerate(records, start=1):
        instance.delete_run(record.dagster_run.run_id)
        if number % 1000 == 0:
            context.log.info(f"{number} of {len(records)} run(s) deleted")
    more = " (more remain: the next purge goes on)" if len(records) == config.max_runs else ""
    context.log.info(f"deleted {len(records)} finished run(s) created before "
                     f"{cutoff:%Y-%m-%d %H:%M} UTC{more}")
    with postgres.connect("pms-purge") as conn:
        deleted = delete_pull_log_before(conn, cutoff)
    context.log.info(f"deleted {deleted} ingest.pull_log row(s) of pulls before "
                     f"{cutoff:%Y-%m-%d %H:%M} UTC")


@job(name=PURGE_JOB, tags={"dagster/max_runtime": "3600"},
     description="Delete finished runs (and their event logs), and the pull log, older "
     "than PMS_RUN_RETENTION_DAYS.")
def purge_old_runs() -> None:
    delete_old_runs()


purge_schedule = ScheduleDefinition(
    name="purge_old_runs_schedule", job=purge_old_runs, cron_schedule="30 3 * * *",
    execution_timezone="UTC", default_status=DefaultScheduleStatus.RUNNING,
    description="Daily at 03:30 UTC, after the nightly full pulls have started.",
)
