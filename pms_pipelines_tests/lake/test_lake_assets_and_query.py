"""The lake through Dagster (a day's partition and its checks) and the SQL command over it."""

from __future__ import annotations

import functools
import io
from datetime import UTC, datetime

import psycopg
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from pms_pipelines.aws import aws_client
from pms_pipelines.consumer.batch import apply_batch
from pms_pipelines.defs.lake_assets import compact_lake_day
from pms_pipelines.defs.resources import LakeResource, PostgresResource
from pms_pipelines.lake import query
from pms_pipelines.lake.sink import LakeSink
from pms_pipelines.local_stack.aws_emulator import RunningEmulator, create_delivery_stream
from pms_pipelines.stream.records import StreamRecord
from pms_pipelines_tests.consumer.test_batch import MIXED, SHARD, STREAM
from pms_pipelines_tests.lake.lake_env import BASE, loaded_tenancy, new_bucket

# Today: the example queries ask about this week, and moto names objects by its clock.
RUN_AT = datetime.now(UTC)
DAY = RUN_AT.date()


@pytest.fixture
def consumed(db_url: str, moto_emulator: RunningEmulator) -> str:
    """A bucket holding what the consumer sent today: the mixed batch and two pulls of
    one tenancy (rent changed in between)."""
    bucket = new_bucket()
    create_delivery_stream(f"{bucket}-fh", bucket, "raw/")
    sink = LakeSink(aws_client("firehose"), f"{bucket}-fh", STREAM, "run-1", clock=lambda: RUN_AT)
    pulls = [loaded_tenancy(10, "TY9", "900.00").record, loaded_tenancy(20, "TY9", "950.00").record]
    with psycopg.connect(db_url) as conn:
        first = apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED,
                            expected_checkpoint=None, before_commit=functools.partial(sink, conn))
        apply_batch(conn, stream=STREAM, shard_id=SHARD, records=[
            StreamRecord(SHARD, str(BASE + 100 + i), r.partition_key, r.data)
            for i, r in enumerate(pulls)], expected_checkpoint=first.checkpoint,
            before_commit=functools.partial(sink, conn))
    return bucket


def _materialize(db_url: str, bucket: str):
    resources = {
        "lake": LakeResource(raw_bucket=bucket, lake_bucket=bucket, mask_key="k" * 32),
        "postgres": PostgresResource(url=db_url),
    }
    # An entered instance of our own: Dagster reads its definitions-state storage from a
    # context variable, which an instance left behind by an earlier test can hold dead.
    with DagsterInstance.ephemeral() as instance:
        return materialize([compact_lake_day], resources=resources, instance=instance,
                           partition_key=DAY.isoformat())


def _checks(result) -> dict[tuple[str, str], bool]:
    return {(e.asset_key.path[-1], e.check_name): e.passed
            for e in result.get_asset_check_evaluations()}


def test_a_compacted_day_passes_its_checks_and_fails_on_a_missing_event(
    db_url: str, consumed: str
) -> None:
    result = _materialize(db_url, consumed)
    assert result.success and all(_checks(result).values()) and len(_checks(result)) == 12
    [tenancy] = [m for m in result.get_asset_materialization_events()
                 if m.asset_key == AssetKey(["lake", "tenancy"])]
    assert tenancy.materialization.metadata["rows"].value == 3
    with psycopg.connect(db_url) as conn:  # the consumer says it loaded one more tenancy
        conn.execute("UPDATE ingest.lake_handled_count SET count = count + 1 "
                     "WHERE entity = 'tenancy' AND outcome = 'loaded'")
    checks = _checks(_materialize(db_url, consumed))
    assert [key for key, passed in checks.items() if not passed] == [("tenancy", "complete")]


def test_the_query_command_answers_the_examples(db_url: str, consumed: str) -> None:
    _materialize(db_url, consumed)
    out = io.StringIO()
    code = query.main(["--bucket", consumed, "--example", "tenancy_history",
                       "--param", "source=buildium", "--param", "agency=acme",
                       "--param", "source_id=TY9"], out=out)
    text = out.getvalue()
    assert code == 0, text
    # Each pull of the tenancy, with the rent it had and what the consumer did.
    assert "900.00" in text and "950.00" in text and "(2 rows)" in text
    out = io.StringIO()
    assert query.main(["--bucket", consumed, "SELECT entity, outcome, count(*) AS n FROM handled "
                       "GROUP BY ALL ORDER BY ALL"], out=out) == 0
    assert out.getvalue().splitlines()[3:9] == [
        "tenancy  loaded    2", "tenancy  stale     1", "tenant   loaded    1",
        "tenant   rejected  1", "tenant   stale     1", "(5 rows)"]
    out = io.StringIO()
    assert query.main(["--bucket", consumed, "--example", "outcomes_by_day",
                       "--example", "rejections"], out=out) == 0
    assert "invalid event:" in out.getvalue()
