"""The one Definitions object: every registered PMS, the stream, the consumer, RDS, the lake."""

from collections.abc import Mapping

from dagster import Definitions

from pms_pipelines.defs.agency_sensor import build_agency_sensor
from pms_pipelines.defs.alert_sensors import alert_on_failed_check, alert_on_run_failure
from pms_pipelines.defs.consume_assets import consume_job, consume_stream, stream_spec
from pms_pipelines.defs.consumer_sensor import consumer_sensor
from pms_pipelines.defs.health_checks import build_health_checks
from pms_pipelines.defs.integration_health import unavailable_sensor
from pms_pipelines.defs.ops_jobs import build_ops_jobs
from pms_pipelines.defs.lake_assets import (
    athena_specs,
    compact_lake_day,
    lake_compaction_schedule,
    lake_job,
)
from pms_pipelines.defs.pull_assets import build_pull_assets, pull_asset_key
from pms_pipelines.defs.pull_schedules import build_pull_schedules
from pms_pipelines.defs.resources import resources
from pms_pipelines.defs.run_purge import purge_old_runs, purge_schedule
from pms_pipelines.defs.webhook_sensor import build_webhook_sensor
from pms_pipelines.defs.webhook_worker import build_webhook_worker
from pms_pipelines.integrations import REGISTRY, UNAVAILABLE, Integration


def build_definitions(
    registry: Mapping[str, Integration], unavailable: Mapping[str, str]
) -> Definitions:
    pull_assets, pull_jobs, pull_schedules = [], [], []
    for integration in registry.values():
        assets, job = build_pull_assets(integration)
        pull_assets.append(assets)
        pull_jobs.append(job)
        pull_schedules.extend(build_pull_schedules(integration, job))
    upstream = [pull_asset_key(i, e) for i in registry.values() for e in i.entities]
    health_checks, health_view, health_job, health_schedule = build_health_checks(
        registry.values())
    webhook_jobs = [build_webhook_worker(i) for i in registry.values() if i.webhooks]
    return Definitions(
        assets=[health_view, *pull_assets, stream_spec(upstream), consume_stream,
                compact_lake_day, *athena_specs()],
        asset_checks=health_checks,
        jobs=[*pull_jobs, *webhook_jobs, consume_job, lake_job, health_job,
              purge_old_runs, *build_ops_jobs(registry)],
        sensors=[
            consumer_sensor,
            build_agency_sensor(dict(registry), pull_jobs),
            build_webhook_sensor(dict(registry), webhook_jobs),
            *(unavailable_sensor(name, error) for name, error in unavailable.items()),
            alert_on_run_failure,
            alert_on_failed_check,
        ],
        schedules=[*pull_schedules, lake_compaction_schedule, health_schedule, purge_schedule],
        resources=resources(),
    )


defs = build_definitions(REGISTRY, UNAVAILABLE)
