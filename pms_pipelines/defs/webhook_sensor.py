"""The webhook sensor: stored webhook notices become targeted pulls of their agency.

One run per agency with notices waiting and no pull of it on its way (queued or
running, whatever launched it): notices that arrive meanwhile wait for that run to end
and are served together by the next (a burst is coalesced). The run is the agency's
pull job, asked for just the entities the notices name, tagged with the notices it
serves; it marks them served once every entity is published. A failed run leaves them
waiting: the next tick asks again (no `run_key`, which would never ask twice).
"""

from __future__ import annotations

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

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
        with postgres.connect("pms-webhook-sensor") as conn:
            pending = webhook_notices.pending_agencies(conn, NOTICES_PER_RUN)
            for (pms, agency_id), ids in pending.items():
                integration = served.get(pms)
                if f"{pms}/{agency_id}" in busy or integration is None:
                    waiting += 1
                    continue
                partitions = agency_partitions(integration).name
                if not context.instance.has_dynamic_partition(partitions, agency_id):
                    waiting += 1  # the agency sensor adds it first
                    continue
                notices = webhook_notices.load_notices(conn, pms, agency_id, ids)
                entities = sorted(plan(n.targets for n in notices))
                requests.append(RunRequest(
                    job_name=names.pull_job_name(integration),
                    partition_key=agency_id,
                    run_config=names.pull_run_config(integration, full=False,
                                                     notices=[n.id for n in notices]),
                    asset_selection=[pull_asset_key(integration, e) for e in entities],
                    asset_check_keys=[],  # the health checks run on their own schedule
                    tags={names.AGENCY_TAG: f"{pms}/{agency_id}", names.MODE_TAG: "webhook",
                          names.NOTICES_TAG: _span([n.id for n in notices]),
                          "dagster/priority": WEBHOOK_PRIORITY},
                ))
            conn.commit()
        if not requests:
            return SkipReason(f"{waiting} agencies with notices waiting for a pull on its way"
                              if waiting else "no webhook notice waiting")
        return requests

    return webhook_sensor


def _span(ids: list[int]) -> str:
    return f"{ids[0]}" if len(ids) == 1 else f"{ids[0]}..{ids[-1]} ({len(ids)})"
