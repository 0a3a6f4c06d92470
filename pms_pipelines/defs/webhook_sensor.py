"""The webhook sensor: stored webhook notices become targeted pulls of their agency.

One run per agency with notices waiting and no pull of it on its way (queued or
running, whatever launched it): notices that arrive meanwhile wait for that run to end
and are served together by the next (a burst is coalesced). The run is the agency's
pull job, asked for just the entities the notices name, tagged with the notices it
serves; it marks them served once every entity is published. A failed run leaves them
waiting: a tick after `RETRY_AFTER` asks again (no `run_key`, which would never ask
twice). Served notices older than `KEEP_SERVED` are purged, a few per tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dagster import (
    DagsterInstance, DagsterRunStatus, DefaultSensorStatus, RunRequest, RunsFilter,
    SensorEvaluationContext, SkipReason, sensor,
)

from pms_pipelines.db import webhook_notices
from pms_pipelines.defs.pull_assets import agency_partitions, pull_asset_key
from pms_pipelines.defs.resources import PostgresResource
from pms_pipelines.defs.runs_in_flight import tag_values_in_flight
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.pulls import names
from pms_pipelines.pulls.webhook_targets import plan
from pms_pipelines.settings import schedules

NOTICES_PER_RUN = 500
# Ahead of scheduled pulls, behind consumes: a few records, and someone is waiting.
WEBHOOK_PRIORITY = "5"
# After a failed webhook run of an agency, its notices wait this long before the next
# try (not a failing run, and an alert, every tick); polls go on meanwhile.
RETRY_AFTER = timedelta(minutes=1)
# Served notices are kept this long (which run served what), then purged a few per tick.
KEEP_SERVED = timedelta(days=7)


def build_webhook_sensor(registry: dict[str, Integration], jobs: list):  # noqa: ANN001,ANN201
    served = {name: i for name, i in registry.items() if i.webhooks is not None}

    @sensor(
        name="webhook_sensor",
        jobs=jobs,
        minimum_interval_seconds=schedules().webhook_interval_s,
        default_status=DefaultSensorStatus.RUNNING,
        description="Turns stored webhook notices into targeted pulls of their agency.",
    )
    def webhook_sensor(context: SensorEvaluationContext, postgres: PostgresResource):
        busy = tag_values_in_flight(context.instance, None, names.AGENCY_TAG)
        requests, waiting = [], 0
        now = datetime.now(timezone.utc)
        with postgres.connect("pms-webhook-sensor") as conn:
            webhook_notices.purge_served(conn, now - KEEP_SERVED, limit=1000)
            pending = webhook_notices.pending_agencies(conn, NOTICES_PER_RUN)
            for (pms, agency_id), ids in pending.items():
                integration = served.get(pms)
                if (f"{pms}/{agency_id}" in busy or integration is None
                        or _failed_lately(context.instance, f"{pms}/{agency_id}", now)):
                    waiting += 1
                    continue
                partitions = agency_partitions(integration).name
                if not context.instance.has_dynamic_partition(partitions, agency_id):
                    waiting += 1  # the agency sensor adds it first
                    continue
                notices = webhook_notices.load_notices(conn, pms, agency_id, ids)
                entities = sorted(plan(n.targets for n in notices))
                served_ids = [n.id for n in notices]
                requests.append(RunRequest(
                    job_name=names.pull_job_name(integration),
                    partition_key=agency_id,
                    run_config=names.pull_run_config(integration, full=False,
                                                     notices=served_ids),
                    asset_selection=[pull_asset_key(integration, e) for e in entities],
                    asset_check_keys=[],  # the health checks run on their own schedule
                    tags={**names.pull_run_tags(integration, agency_id, full=False,
                                                mode=names.WEBHOOK_MODE),
                          names.NOTICES_TAG: _span(served_ids),
                          "dagster/priority": WEBHOOK_PRIORITY},
                ))
            conn.commit()
        if not requests:
            return SkipReason(f"{waiting} agencies with notices waiting for a pull on its way"
                              if waiting else "no webhook notice waiting")
        return requests

    return webhook_sensor


def _failed_lately(instance: DagsterInstance, agency: str, now: datetime) -> bool:
    """A webhook run of the agency failed within `RETRY_AFTER`."""
    return bool(instance.get_run_records(RunsFilter(
        statuses=[DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED],
        tags={names.AGENCY_TAG: agency, names.MODE_TAG: names.WEBHOOK_MODE},
        updated_after=now - RETRY_AFTER), limit=1))


def _span(ids: list[int]) -> str:
    return f"{ids[0]}" if len(ids) == 1 else f"{ids[0]}..{ids[-1]} ({len(ids)})"
