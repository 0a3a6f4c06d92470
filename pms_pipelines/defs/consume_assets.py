"""The stream as an asset, and the RDS tables the consume job loads from it."""

import time
from datetime import datetime, timezone

from dagster import (
    AssetExecutionContext,
    AssetMaterialization,
    AssetKey,
    AssetSelection,
    AssetSpec,
    Config,
    MaterializeResult,
    define_asset_job,
    multi_asset,
)

from pms_pipelines.canonical import ENTITIES
from pms_pipelines.consumer.batch_metrics import batch_stats, emit_batch
from pms_pipelines.consumer.consume import ConsumeReport, consume_shard
from pms_pipelines.consumer.retention import CheckpointExpired
from pms_pipelines.defs.check_outcomes import RETENTION_GAP, check_evaluation
from pms_pipelines.defs.resources import FirehoseResource, KinesisResource, PostgresResource
from pms_pipelines.defs.run_alive import guarded
from pms_pipelines.health.stream_position import affected_agencies, retention_outcome
from pms_pipelines.lake.sink import LakeSink
from pms_pipelines.settings import schedules

STREAM_KEY = AssetKey(["stream", "pms_events"])
CONSUME_JOB = "consume_shard"
SHARD_TAG = "pms/shard"


def rds_table_key(entity: str) -> AssetKey:
    return AssetKey(["rds", entity])


def stream_spec(upstream: list[AssetKey]) -> AssetSpec:
    return AssetSpec(
        STREAM_KEY,
        deps=upstream,
        group_name="stream",
        description="The Kinesis data stream of canonical events (24 h retention).",
        kinds={"kinesis"},
    )


class ConsumeConfig(Config):
    shard_id: str
    max_records: int = schedules().consume_max_records
    linger_s: float = schedules().consume_linger_s
    """Once caught up, stay on the shard this long without a record (0: end at once)."""
    max_seconds: float = schedules().consume_max_s
    """Linger no more after this long: the run ends and the sensor starts the next."""


# A lingering run shows what it loaded so far this often (it may run for minutes).
SHOW_EVERY_S = 30.0


@multi_asset(
    name="consume_stream",
    specs=[
        AssetSpec(
            rds_table_key(entity),
            deps=[STREAM_KEY],
            group_name="rds",
            description=f"pms.{entity} in Postgres: one row per record, latest version wins.",
            kinds={"postgres"},
        )
        for entity in ENTITIES
    ],
)
def consume_stream(
    context: AssetExecutionContext,
    config: ConsumeConfig,
    postgres: PostgresResource,
    kinesis: KinesisResource,
    firehose: FirehoseResource,
):
    shown = {"at": time.monotonic(), "records": 0}

    def progress(report: ConsumeReport) -> None:
        emit_batch(batch_stats(report.last_results, report.last_apply_seconds,
                               datetime.now(timezone.utc)),
                   kinesis.stream_name, config.shard_id)
        if report.batches % 10 == 0:
            context.log.info(
                f"shard {config.shard_id}: {report.records} records, {report.loaded} loaded, "
                f"{report.rejected} rejected, {report.millis_behind_latest} ms behind"
            )
        if (config.linger_s and time.monotonic() - shown["at"] >= SHOW_EVERY_S
                and report.records > shown["records"]):
            shown.update(at=time.monotonic(), records=report.records)
            for entity in ENTITIES:
                context.log_event(AssetMaterialization(
                    asset_key=rds_table_key(entity), metadata=_metadata(config, report, sink,
                                                                        entity)))

    sink = None
    if firehose.delivery_stream:
        sink = LakeSink(firehose.client(), firehose.delivery_stream, kinesis.stream_name,
                        context.run_id)
    else:
        context.log.info("PMS_FIREHOSE_STREAM is not set: handled events are not sent to the lake")
    with postgres.connect("pms-consumer") as conn:
        try:
            report = consume_shard(
                kinesis.client(),
                conn,
                kinesis.stream_name,
                config.shard_id,
                max_records=config.max_records,
                run_id=context.run_id,
                on_batch=progress,
                before_commit=guarded(context.instance, context.run_id, sink),
                linger_s=config.linger_s,
                max_seconds=config.max_seconds,
            )
        except CheckpointExpired as gap:  # the stream's retention_gap check, right now
            affected = affected_agencies(conn, kinesis.stream_name, [config.shard_id])
            yield check_evaluation(
                retention_outcome(kinesis.stream_name, {config.shard_id: str(gap)}, affected),
                STREAM_KEY, RETENTION_GAP)
            raise
    if report.isolated:
        context.log.warning(
            f"shard {config.shard_id}: {report.isolated} record(s) passed validation but "
            "failed their batch; each was dead-lettered alone ('could not be applied') and "
            "the shard went on: a gap in validation to fix (see the runbook, Dead letters)")
    context.log.info(
        f"shard {config.shard_id}: {report.records} records in {report.seconds:.1f}s "
        f"({report.events_per_second:.0f}/s), checkpoint {report.checkpoint}, "
        f"ended={report.shard_ended}"
    )
    for entity in ENTITIES:
        yield MaterializeResult(asset_key=rds_table_key(entity),
                                metadata=_metadata(config, report, sink, entity))


def _metadata(config: ConsumeConfig, report: ConsumeReport, sink: LakeSink | None,
              entity: str) -> dict[str, object]:
    return {
        "shard_id": config.shard_id,
        "loaded": report.loaded_by_entity.get(entity, 0),
        "records_in_run": report.records,
        "stale_in_run": report.stale,
        "rejected_in_run": report.rejected,
        "isolated_in_run": report.isolated,
        "lag_seconds": round(report.millis_behind_latest / 1000, 3),
        "events_per_second": round(report.events_per_second, 1),
        "sent_to_lake_in_run": sink.stats.delivered if sink else 0,
    }


consume_job = define_asset_job(
    CONSUME_JOB,
    # The integrity checks on the tables run in the health_checks job, not per shard run.
    selection=AssetSelection.assets(*(rds_table_key(e) for e in ENTITIES)).without_checks(),
    tags={"dagster/max_runtime": "1800"},  # a hung run must not hold its shard forever
    description="Drain one shard into Postgres from its checkpoint (one run per shard).",
)
