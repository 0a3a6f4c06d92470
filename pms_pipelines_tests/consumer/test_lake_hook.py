"""The lake hook of a batch: it runs inside the batch's transaction, before the commit, so
a failed delivery rolls the batch back, and the counts commit with the batch."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import psycopg
import pytest

from pms_pipelines.aws import aws_client
from pms_pipelines.consumer.batch import apply_batch
from pms_pipelines.db.batch_result import BatchResult
from pms_pipelines.db.lake_counts import handled_counts
from pms_pipelines.lake.raw import list_day_objects, read_raw_lines
from pms_pipelines.lake.sink import LakeSink
from pms_pipelines.local_stack.aws_emulator import RunningEmulator, create_delivery_stream
from pms_pipelines.stream.firehose import DeliveryFailed
from pms_pipelines_tests.consumer.test_batch import MIXED, SHARD, STREAM
from pms_pipelines_tests.lake.lake_env import new_bucket

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def test_the_hook_sees_the_written_batch_before_it_commits(db_url: str) -> None:
    seen: list[tuple[int, int, bool]] = []

    def hook(conn: psycopg.Connection, result: BatchResult) -> None:
        tenants = conn.execute("SELECT count(*) FROM pms.tenant").fetchone()[0]
        with psycopg.connect(db_url) as other:  # not visible outside: not committed yet
            committed = other.execute("SELECT count(*) FROM pms.tenant").fetchone()[0]
        seen.append((len(result.outcomes), tenants, committed == 0))

    with psycopg.connect(db_url) as conn:
        apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED,
                    expected_checkpoint=None, before_commit=functools.partial(hook, conn))
    assert seen == [(5, 1, True)]


def test_a_failing_hook_rolls_the_batch_back(db_url: str) -> None:
    def refuse(result: BatchResult) -> None:
        raise DeliveryFailed("firehose down", [])

    with psycopg.connect(db_url) as conn, pytest.raises(DeliveryFailed):
        apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED,
                    expected_checkpoint=None, before_commit=refuse)
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM pms.tenant").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM ingest.checkpoint").fetchone()[0] == 0


def test_the_sink_delivers_lines_and_counts_them_in_the_batch(
    db_url: str, moto_emulator: RunningEmulator
) -> None:
    bucket = new_bucket()
    create_delivery_stream(f"{bucket}-fh", bucket, "raw/")
    sink = LakeSink(aws_client("firehose"), f"{bucket}-fh", STREAM, "run-7", clock=lambda: NOW)
    with psycopg.connect(db_url) as conn:
        apply_batch(conn, stream=STREAM, shard_id=SHARD, records=MIXED,
                    expected_checkpoint=None, before_commit=functools.partial(sink, conn))
        counts = handled_counts(conn, NOW.date())
    assert counts == {("tenant", "loaded"): 1, ("tenancy", "loaded"): 1, ("tenant", "stale"): 1,
                      ("tenant", "rejected"): 1, ("unknown", "rejected"): 1}
    s3 = aws_client("s3")
    keys = list_day_objects(s3, bucket, "raw/", datetime.now(UTC).date())
    lines = read_raw_lines(s3, bucket, keys).lines
    assert [(x["sequence_number"], x["outcome"], x["run_id"]) for x in lines] == [
        (r.sequence_number, o, "run-7")
        for r, o in zip(MIXED, ["loaded", "rejected", "loaded", "rejected", "stale"], strict=True)]
    assert lines[1]["reason"].startswith("not UTF-8") and lines[1]["raw_base64"] == "/yBub3QgdXRmLTg="
    assert lines[0]["event"]["source_id"] == "T1" and lines[0]["consumed_at"] == NOW.isoformat()
    assert sink.stats.delivered == 5
