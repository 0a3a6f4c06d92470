"""The lake in Dagster: one daily partition compacts a day of raw Firehose objects into
`lake/<entity>` Parquet (checked as it is written), the Athena tables over it as
external assets, and a schedule that compacts yesterday (and, locally, today so far).
The work itself is `pms_pipelines.lake`; this module only wires it."""

from datetime import UTC, date, datetime, timedelta

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DailyPartitionsDefinition,
    DefaultScheduleStatus,
    MaterializeResult,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    multi_asset,
    schedule,
)

from pms_pipelines.canonical import ENTITIES
from pms_pipelines.db.lake_counts import handled_counts
from pms_pipelines.defs.consume_assets import STREAM_KEY
from pms_pipelines.defs.resources import LakeResource, PostgresResource
from pms_pipelines.lake.checks import CHECKS, day_problems, lake_counts
from pms_pipelines.lake.compact import compact_day, read_day
from pms_pipelines.lake.mask import mask_key_bytes
from pms_pipelines.settings import environment

LAKE_JOB = "lake_compaction"
# The first day there can be a lake; Athena's partition projection starts there too.
LAKE_PARTITIONS = DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC", end_offset=1)
CHECK_DESCRIPTIONS = {
    "complete": "The day holds exactly the events the consumer reported handling that day.",
    "schema_matches": "The Parquet schema is the lake's, and `data` holds canonical fields.",
    "masked": "Names, emails, phones and dates of birth are keyed hashes; no stray emails.",
}


def lake_key(entity: str) -> AssetKey:
    return AssetKey(["lake", entity])


def athena_key(entity: str) -> AssetKey:
    return AssetKey(["athena", entity])


@multi_asset(
    name="compact_lake_day",
    specs=[
        AssetSpec(
            lake_key(entity),
            deps=[STREAM_KEY],
            group_name="lake",
            description=f"Every {entity} event the consumer handled, one Parquet file per "
            "UTC day at lake/" + entity + "/dt=YYYY-MM-DD/, personal data masked.",
            kinds={"s3", "parquet"},
        )
        for entity in ENTITIES
    ],
    check_specs=[
        AssetCheckSpec(name, asset=lake_key(entity), description=CHECK_DESCRIPTIONS[name])
        for entity in ENTITIES
        for name in CHECKS
    ],
    partitions_def=LAKE_PARTITIONS,
)
def compact_lake_day(
    context: AssetExecutionContext, lake: LakeResource, postgres: PostgresResource
):
    day = date.fromisoformat(context.partition_key)
    s3 = lake.s3()
    report = compact_day(
        s3, raw_bucket=lake.raw_bucket, lake_bucket=lake.lake_bucket, day=day,
        mask_key=mask_key_bytes(lake.mask_key), raw_prefix=lake.raw_prefix,
    )
    context.log.info(
        f"{day}: {report.lines_read} lines from {report.objects_read} raw objects, "
        f"{report.duplicates} duplicates, {report.late_lines} late, rows {report.rows}"
    )
    with postgres.connect("pms-lake") as conn:
        handled = handled_counts(conn, day)
    tables = {entity: read_day(s3, lake.lake_bucket, entity, day) for entity in ENTITIES}
    for entity in ENTITIES:
        table = tables[entity]
        yield MaterializeResult(
            asset_key=lake_key(entity),
            metadata={
                "path": f"s3://{lake.lake_bucket}/{report.keys[entity]}",
                "rows": report.rows[entity],
                **(lake_counts(table) if table is not None else {}),
                "raw_objects_read": report.objects_read,
                "duplicates_dropped": report.duplicates,
                "late_lines": report.late_lines,
                "rejected_without_entity": report.unknown_entity,
                "unreadable_lines": report.unreadable_lines,
            },
        )
    # The day is still filling until it ends: an incomplete today is a warning only.
    day_over = day < datetime.now(UTC).date()
    for entity, checks in day_problems(tables, handled).items():
        for name, problems in checks.items():
            yield AssetCheckResult(
                asset_key=lake_key(entity),
                check_name=name,
                passed=not problems,
                severity=AssetCheckSeverity.ERROR
                if day_over or name != "complete" else AssetCheckSeverity.WARN,
                metadata={"problems": "\n".join(problems) or "none"},
            )


def athena_specs() -> list[AssetSpec]:
    """The Glue/Athena tables (Terraform) over the lake: shown for lineage, not run here."""
    return [
        AssetSpec(
            athena_key(entity),
            deps=[lake_key(entity)],
            group_name="lake",
            description=f"Athena table {entity} over lake/{entity}/ (Glue, partition "
            "projection on dt); defined in terraform/modules/lake.",
            kinds={"athena"},
        )
        for entity in ENTITIES
    ]


lake_job = define_asset_job(
    LAKE_JOB,
    selection=[lake_key(e) for e in ENTITIES],
    partitions_def=LAKE_PARTITIONS,
    tags={"dagster/max_runtime": "3600"},
    description="Compact one UTC day of raw Firehose objects into the Parquet lake.",
)


@schedule(
    job=lake_job,
    cron_schedule="*/15 * * * *" if environment() == "local" else "0 1 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def lake_compaction_schedule(context: ScheduleEvaluationContext):
    """Yesterday once its late objects are in (01:00 UTC); locally every 15 minutes,
    yesterday and today so far, so the lake shows what just happened."""
    today = context.scheduled_execution_time.date()
    days = [today - timedelta(days=1)]
    if environment() == "local":
        days.append(today)
    tick = context.scheduled_execution_time.isoformat()
    for day in days:
        # A schedule asking for several runs must key each (Dagster refuses the tick).
        yield RunRequest(partition_key=day.isoformat(), run_key=f"{day.isoformat()}@{tick}")
