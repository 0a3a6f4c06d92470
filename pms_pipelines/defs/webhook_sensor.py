"""The webhook sensor: starts a PMS's webhook worker (defs/webhook_worker.py) when its
notices are due and no run of the worker is on its way (queued or running). The worker
then serves them, and those that come while it runs, itself.

A worker run that failed (it crashed: a failing pull only makes its notices wait) is
started again after `RETRY_AFTER`, not every tick, each with an alert. Served notices
older than `KEEP_SERVED` are purged, a few per tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dagster import (
    DagsterInstance, DagsterRunStatus, DefaultSensorStatus, RunRequest, RunsFilter,
    SensorEvaluationContext, SkipReason, sensor,
)

from pms_pipelines.db import webhook_notices
from pms_pipelines.defs import run_priority
from pms_pipelines.defs.resources import PostgresResource
from pms_pipelines.defs.runs_in_flight import tag_values_in_flight
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.pulls import names
from pms_pipelines.settings import schedules

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
        description="Starts a PMS's webhook worker when its notices wait and none runs.",
    )
    def webhook_sensor(context: SensorEvaluationContext, postgres: PostgresResource):
        running = tag_values_in_flight(context.instance, None, names.WEBHOOK_WORKER_TAG)
        now = datetime.now(timezone.utc)
        with postgres.connect("pms-webhook-sensor") as conn:
            webhook_notices.purge_served(conn, now - KEEP_SERVED, limit=1000)
            due = {pms for pms, _ in webhook_notices.pending_agencies(conn, 1)}
            conn.commit()
        requests, waiting = [], []
        for pms in sorted(due):
            integration = served.get(pms)
            if integration is None:
                continue  # its integration no longer has webhooks: polls bring the changes
            if pms in running or _failed_lately(context.instance, pms, now):
                waiting.append(pms)
                continue
            requests.append(RunRequest(
                job_name=names.webhook_job_name(integration),
                tags={run_priority.PRIORITY_TAG: run_priority.WEBHOOK},
            ))
        if not requests:
            return SkipReason(f"notices of {', '.join(waiting)} wait for the worker on its way"
                              if waiting else "no webhook notice waiting")
        return requests

    return webhook_sensor


def _failed_lately(instance: DagsterInstance, pms: str, now: datetime) -> bool:
    """A worker run of the PMS failed within `RETRY_AFTER`."""
    return bool(instance.get_run_records(RunsFilter(
        statuses=[DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED],
        tags={names.WEBHOOK_WORKER_TAG: pms}, updated_after=now - RETRY_AFTER), limit=1))
