"""Per PMS: frequent incremental pulls and a nightly full pull of every enabled agency."""

from dagster import DefaultScheduleStatus, ScheduleEvaluationContext, SkipReason, schedule

from pms_pipelines.db import agencies
from pms_pipelines.defs.agency_sensor import pull_run_request
from pms_pipelines.defs.pull_assets import agency_partitions
from pms_pipelines.pulls import names
from pms_pipelines.defs.resources import PostgresResource
from pms_pipelines.defs.runs_in_flight import tag_values_in_flight
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.settings import schedules


def build_pull_schedules(integration: Integration, job):  # noqa: ANN001,ANN201
    cadence = schedules()

    def enabled_partitions(context: ScheduleEvaluationContext, postgres: PostgresResource) -> list[str]:
        with postgres.connect("pms-schedule") as conn:
            enabled = {a.agency_id for a in agencies.list_agencies(conn, pms=integration.name)}
        known = context.instance.get_dynamic_partitions(agency_partitions(integration).name)
        return sorted(enabled.intersection(known))

    def requests(context: ScheduleEvaluationContext, postgres: PostgresResource, full: bool):  # noqa: ANN202
        agency_ids = enabled_partitions(context, postgres)
        if not full:
            # An incremental pull still queued or running covers the next one too; piling
            # them up behind the per-agency limit only delays everyone.
            # Any job: a re-sync's backfill runs carry the same agency tag.
            busy = tag_values_in_flight(context.instance, None, names.AGENCY_TAG)
            agency_ids = [a for a in agency_ids if f"{integration.name}/{a}" not in busy]
        if not agency_ids:
            return SkipReason(f"no enabled {integration.name} agency without a pull on its way")
        # A schedule asking for several runs must key each; keys are per tick.
        tick = context.scheduled_execution_time.isoformat() if context.scheduled_execution_time else "now"
        mode = "full" if full else "incremental"
        return [
            pull_run_request(integration, a, full=full, run_key=f"{mode}:{a}:{tick}")
            for a in agency_ids
        ]

    @schedule(
        name=f"{integration.name}_incremental_pull",
        job=job,
        cron_schedule=cadence.incremental_cron,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Changed records since each agency's watermark.",
    )
    def incremental(context: ScheduleEvaluationContext, postgres: PostgresResource):
        return requests(context, postgres, full=False)

    @schedule(
        name=f"{integration.name}_full_pull",
        job=job,
        cron_schedule=cadence.full_cron,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Everything, diffed against the last full pull to find deletes.",
    )
    def full(context: ScheduleEvaluationContext, postgres: PostgresResource):
        return requests(context, postgres, full=True)

    return [incremental, full]
