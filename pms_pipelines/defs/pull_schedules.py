"""Per PMS: frequent incremental pulls and a nightly full pull of every enabled agency.

An agency whose webhooks are coming (a notice within `PMS_WEBHOOK_QUIET_S`) is polled
less often (`PMS_WEBHOOK_POLL_S`, every other incremental tick by default): webhooks
bring its changes in seconds, and polling stays only as the safety net."""

from datetime import datetime, timedelta, timezone

from dagster import DefaultScheduleStatus, ScheduleEvaluationContext, SkipReason, schedule

from pms_pipelines.db import agencies, watermarks, webhook_notices
from pms_pipelines.defs.agency_sensor import pull_run_request
from pms_pipelines.defs.pull_assets import agency_partitions
from pms_pipelines.pulls import names
from pms_pipelines.defs.resources import PostgresResource
from pms_pipelines.defs.runs_in_flight import tag_values_in_flight
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.settings import cron_interval_s, health, schedules


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
            # Any job: a re-sync's backfill runs carry the same agency tag. (The webhook
            # worker carries none: its pulls by id never read what changed since the
            # watermark, and a pull meeting one of them waits for it to end.)
            busy = tag_values_in_flight(context.instance, None, names.AGENCY_TAG)
            relaxed = webhook_fed(postgres) if integration.webhooks is not None else set()
            agency_ids = [a for a in agency_ids
                          if f"{integration.name}/{a}" not in busy and a not in relaxed]
        if not agency_ids:
            return SkipReason(f"no enabled {integration.name} agency without a pull on its way")
        # A schedule asking for several runs must key each; keys are per tick.
        tick = context.scheduled_execution_time.isoformat() if context.scheduled_execution_time else "now"
        mode = "full" if full else "incremental"
        return [
            pull_run_request(integration, a, full=full, run_key=f"{mode}:{a}:{tick}")
            for a in agency_ids
        ]

    def webhook_fed(postgres: PostgresResource) -> set[str]:
        """Agencies whose webhooks are coming and whose last poll is recent enough: they
        are polled every `webhook_poll_s` only (polling stays the safety net)."""
        now = datetime.now(timezone.utc)
        with postgres.connect("pms-schedule") as conn:
            sending = webhook_notices.notices_since(
                conn, integration.name, now - timedelta(seconds=health().webhook_quiet_s))
            polled = watermarks.oldest_pulls(conn, integration.name)
        # Half a tick in hand: a poll that started just after the tick before counts.
        recent = now - timedelta(seconds=cadence.webhook_poll_s
                                 - cron_interval_s(cadence.incremental_cron) / 2)
        return {a for a in sending if a in polled and polled[a] > recent}

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
