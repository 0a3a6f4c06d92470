"""Per PMS: one asset per entity, partitioned by agency, that pulls and publishes."""

from functools import partial

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    AssetSpec,
    Config,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    define_asset_job,
    multi_asset,
)

from pms_pipelines.db import agencies
from pms_pipelines.pulls import names
from pms_pipelines.defs.resources import KinesisResource, PmsEndpoints, PostgresResource
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.pulls.credentials import resolve_credentials, save_credentials
from pms_pipelines.pulls.pull_and_publish import PullReport, pull_and_publish
from pms_pipelines.pulls.pull_metrics import measured_pull


class PullConfig(Config):
    full: bool = True
    """A full pull reads everything and turns vanished records into deletes; an
    incremental one asks the PMS only for what changed since the watermark. Full by
    default, so a backfill or a materialization launched from the UI re-pulls the agency;
    the schedules and the webhook worker ask for incremental themselves."""
    republish: bool = False
    """Publish every record read, even those whose content is what was last published
    for them (by default those are left out: only real changes travel)."""


def agency_partitions(integration: Integration) -> DynamicPartitionsDefinition:
    return DynamicPartitionsDefinition(name=names.partitions_name(integration))


def pull_asset_key(integration: Integration, entity: str) -> AssetKey:
    return AssetKey(names.asset_key_path(integration, entity))


def build_pull_assets(integration: Integration):  # noqa: ANN201 - a Dagster multi-asset
    partitions = agency_partitions(integration)
    specs = [
        AssetSpec(
            pull_asset_key(integration, entity),
            group_name=integration.name,
            description=f"{integration.name} {entity} records of one agency, pulled and "
            "published to the events stream",
            kinds={"python", "kinesis"},
        )
        for entity in integration.entities
    ]

    @multi_asset(
        name=names.pull_op_name(integration),
        specs=specs,
        partitions_def=partitions,
        can_subset=True,
    )
    def pull(
        context: AssetExecutionContext,
        config: PullConfig,
        postgres: PostgresResource,
        kinesis: KinesisResource,
        pms_endpoints: PmsEndpoints,
    ):
        agency_id = context.partition_key
        if names.AGENCY_TAG not in context.run.tags:  # launched from the UI, not our code
            context.instance.add_run_tags(
                context.run_id, names.pull_run_tags(integration, agency_id, full=config.full))
        mode = "full" if config.full else "incremental"
        with postgres.connect("pms-pull") as conn:
            agency = agencies.get_agency(conn, integration.name, agency_id)
            conn.commit()
            if agency is None or not agency.enabled:
                raise Failure(f"agency {integration.name}/{agency_id} is not registered or disabled")
            failures: list[str] = []
            for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
                entity = key.path[-1]
                try:
                    with measured_pull(integration.name, agency_id, entity, mode,
                                       conn) as measured:
                        # Per entity: an earlier pull may have rotated a refresh token.
                        credentials = resolve_credentials(
                            agency.credentials_ref, integration.credential_fields,
                            integration.optional_fields,
                        )
                        measured.report = pull_and_publish(
                            integration,
                            agency_id=agency_id,
                            entity=entity,
                            credentials=credentials,
                            base_url=pms_endpoints.base_url(integration.name, integration.default_base_url),
                            conn=conn,
                            kinesis=kinesis.client(),
                            stream=kinesis.stream_name,
                            full=config.full,
                            republish=config.republish,
                            log=context.log.info,
                            save_credentials=partial(save_credentials, agency.credentials_ref),
                        )
                    report = measured.report
                except Exception as error:  # one entity failing must not stop the others
                    conn.rollback()
                    context.log.error(f"{entity}: pull failed, watermark unchanged: {error}")
                    failures.append(f"{entity}: {error}")
                    continue
                if report.unaccounted:
                    context.log.error(
                        f"{entity}: {report.unaccounted} record(s) read but neither "
                        f"published, rejected nor skipped with a reason ({report.read} read, "
                        f"{report.pulled} pulled, skipped {report.skipped or 'none'}): a bug "
                        f"in the {integration.name} integration's feed")
                yield MaterializeResult(asset_key=key, metadata=pull_metadata(report))
        if failures:
            raise Failure(
                f"{len(failures)} entity pull(s) failed for {integration.name}/{agency_id}",
                metadata={"failures": MetadataValue.md("\n".join(f"- {f}" for f in failures))},
            )

    job = define_asset_job(
        names.pull_job_name(integration),
        # The health checks on these assets run in the health_checks job, not per pull.
        selection=AssetSelection.assets(*(spec.key for spec in specs)).without_checks(),
        partitions_def=partitions,
        tags={names.PMS_TAG: integration.name, "dagster/max_runtime": "3600"},
    )
    return pull, job


def pull_metadata(report: PullReport) -> dict[str, object]:
    return {
        "mode": report.mode,
        "read": report.read,
        "pulled": report.pulled,
        "unchanged": report.unchanged,
        "skipped": sum(report.skipped.values()),
        "unaccounted": report.unaccounted,
        "published": report.published,
        "rejected": report.rejected,
        "deletes": report.deletes,
        "missing_once": report.suspects,
        "publish_retried_records": report.publish.retried_records,
        "seconds": round(report.seconds, 3),
        "records_per_second": round(report.pulled / report.seconds, 1) if report.seconds else 0.0,
        "watermark": MetadataValue.timestamp(report.watermark_after)
        if report.watermark_after
        else MetadataValue.null(),
        "skipped_why": MetadataValue.md(
            "\n".join(f"- {n}: {why}" for why, n in sorted(report.skipped.items())) or "none"
        ),
        "rejections": MetadataValue.md(
            "\n".join(f"- {r.source_id}: {r.reason}" for r in report.rejections[:20]) or "none"
        ),
    }
