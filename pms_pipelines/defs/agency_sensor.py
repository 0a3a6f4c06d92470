"""The agency registry sensor: registered agencies become partitions, new ones get a
first full pull."""

from dagster import (
    AddDynamicPartitionsRequest,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pms_pipelines.db import agencies
from pms_pipelines.defs.pull_assets import agency_partitions
from pms_pipelines.defs.resources import PostgresResource
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.pulls import names
from pms_pipelines.settings import schedules


def pull_run_request(integration: Integration, agency_id: str, *, full: bool,
                     run_key: str | None = None, republish: bool = False) -> RunRequest:
    return RunRequest(
        job_name=names.pull_job_name(integration),
        partition_key=agency_id,
        run_key=run_key,
        run_config=names.pull_run_config(integration, full=full, republish=republish),
        tags=names.pull_run_tags(integration, agency_id, full=full),
    )


def build_agency_sensor(registry: dict[str, Integration], jobs: list):  # noqa: ANN001,ANN201
    @sensor(
        name="agency_registry_sensor",
        jobs=jobs,
        minimum_interval_seconds=schedules().agency_interval_s,
        default_status=DefaultSensorStatus.RUNNING,
        description="Adds a partition for every registered agency and starts its first full pull.",
    )
    def agency_registry_sensor(context: SensorEvaluationContext, postgres: PostgresResource):
        with postgres.connect("pms-agency-sensor") as conn:
            registered = agencies.list_agencies(conn, enabled_only=True)
        partition_requests = []
        run_requests = []
        for name, integration in registry.items():
            partitions = agency_partitions(integration)
            known = set(context.instance.get_dynamic_partitions(partitions.name))
            new = sorted(a.agency_id for a in registered if a.pms == name and a.agency_id not in known)
            if not new:
                continue
            partition_requests.append(AddDynamicPartitionsRequest(partitions.name, new))
            run_requests.extend(
                pull_run_request(integration, agency_id, full=True, run_key=f"first-pull:{name}:{agency_id}")
                for agency_id in new
            )
        if not partition_requests:
            return SkipReason(f"{len(registered)} agencies registered, none new")
        return SensorResult(run_requests=run_requests, dynamic_partitions_requests=partition_requests)

    return agency_registry_sensor
