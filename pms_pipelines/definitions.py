"""The one Definitions object: every registered PMS, the stream, the consumer, RDS."""

from dagster import Definitions

from pms_pipelines.defs.agency_sensor import build_agency_sensor
from pms_pipelines.defs.consume_assets import consume_job, consume_stream, stream_spec
from pms_pipelines.defs.consumer_sensor import consumer_sensor
from pms_pipelines.defs.pull_assets import build_pull_assets, pull_asset_key
from pms_pipelines.defs.pull_schedules import build_pull_schedules
from pms_pipelines.defs.resources import resources
from pms_pipelines.integrations import REGISTRY

pull_assets, pull_jobs, pull_schedules = [], [], []
for integration in REGISTRY.values():
    assets, job = build_pull_assets(integration)
    pull_assets.append(assets)
    pull_jobs.append(job)
    pull_schedules.extend(build_pull_schedules(integration, job))

defs = Definitions(
    assets=[
        *pull_assets,
        stream_spec(
            [pull_asset_key(i, e) for i in REGISTRY.values() for e in i.entities]
        ),
        consume_stream,
    ],
    jobs=[*pull_jobs, consume_job],
    sensors=[consumer_sensor, build_agency_sensor(REGISTRY, pull_jobs)],
    schedules=pull_schedules,
    resources=resources(),
)
