"""consume_shard with the lake sender: every record read reaches Firehose, counted per
day; the consume asset says in its log when no delivery stream is configured."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from dagster import DagsterInstance, materialize

from pms_pipelines.aws import aws_client, kinesis_client
from pms_pipelines.consumer.consume import consume_shard
from pms_pipelines.db.lake_counts import handled_counts
from pms_pipelines.defs.consume_assets import consume_stream
from pms_pipelines.defs.resources import FirehoseResource, KinesisResource, PostgresResource
from pms_pipelines.lake.checks import completeness_problems
from pms_pipelines.lake.compact import compact_day, read_day
from pms_pipelines.lake.raw import list_day_objects, read_raw_lines
from pms_pipelines.lake.sink import LakeSink
from pms_pipelines.local_stack.aws_emulator import create_delivery_stream
from pms_pipelines.ops.replay import ReplayStart, replay
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import list_shards
from pms_pipelines.stream.records import OutgoingRecord
from pms_pipelines_tests.db.sample_events import event, tenant_record
from pms_pipelines_tests.lake.lake_env import new_bucket


def _publish(stream: str) -> list[str]:
    events = [event("tenant", "T1", tenant_record("Ada"), 1), event("tenant", "T1", None, 2)]
    publish_records(kinesis_client(), stream, [OutgoingRecord(e.key, e.to_bytes()) for e in events])
    publish_records(kinesis_client(), stream, [OutgoingRecord(events[0].key, b"not json")])
    return [s["ShardId"] for s in list_shards(kinesis_client(), stream)]


def test_every_record_consumed_is_delivered_and_counted(db_url: str, kinesis_stream: str) -> None:
    bucket = new_bucket()
    create_delivery_stream(f"{bucket}-fh", bucket, "raw/")
    now = datetime.now(UTC)
    sink = LakeSink(aws_client("firehose"), f"{bucket}-fh", kinesis_stream, "run-1",
                    clock=lambda: now)
    with psycopg.connect(db_url) as conn:
        reports = [consume_shard(kinesis_client(), conn, kinesis_stream, shard, before_commit=sink)
                   for shard in _publish(kinesis_stream)]
        counts = handled_counts(conn, now.date())
    assert sum(r.records for r in reports) == 3
    assert counts == {("tenant", "loaded"): 2, ("unknown", "rejected"): 1}
    s3 = aws_client("s3")
    lines = read_raw_lines(s3, bucket, list_day_objects(s3, bucket, "raw/", now.date())).lines
    assert sorted(x["outcome"] for x in lines) == ["loaded", "loaded", "rejected"]
    assert {x["stream"] for x in lines} == {kinesis_stream}


def test_after_a_replay_the_day_is_still_complete(db_url: str, kinesis_stream: str) -> None:
    """A replay handles records again with the outcome they had (stale, rejected): the
    consumer counts them again and the lake keeps them as the replay's generation, so the
    day's rows still match the counts (the compaction's de-duplication, which drops a
    batch delivered twice by a crash before its commit, works within one generation)."""
    bucket = new_bucket()
    create_delivery_stream(f"{bucket}-fh", bucket, "raw/")
    now = datetime.now(UTC)
    sink = LakeSink(aws_client("firehose"), f"{bucket}-fh", kinesis_stream, "run-1",
                    clock=lambda: now)
    newer, older = event("tenant", "T1", tenant_record("Bo"), 2), event("tenant", "T1",
                                                                        tenant_record("Ada"), 1)
    publish_records(kinesis_client(), kinesis_stream, [
        OutgoingRecord(newer.key, newer.to_bytes()), OutgoingRecord(older.key, older.to_bytes()),
        OutgoingRecord(newer.key, b'{"schema": "pms.event/v1", "entity": "tenant"}')])
    shards = [s["ShardId"] for s in list_shards(kinesis_client(), kinesis_stream)]
    with psycopg.connect(db_url) as conn:
        for _ in range(2):  # the first pass, then the replay's
            for shard in shards:
                consume_shard(kinesis_client(), conn, kinesis_stream, shard, before_commit=sink)
            replay(kinesis_client(), conn, kinesis_stream, ReplayStart())
            conn.commit()
        counts = handled_counts(conn, now.date())
    assert counts == {("tenant", "loaded"): 1, ("tenant", "stale"): 3, ("tenant", "rejected"): 2}
    s3 = aws_client("s3")
    compact_day(s3, raw_bucket=bucket, lake_bucket=bucket, day=now.date(), mask_key=b"k" * 32)
    table = read_day(s3, bucket, "tenant", now.date())
    assert completeness_problems("tenant", table, counts) == []
    assert sorted(table.column("replay_generation").to_pylist()) == [0, 0, 0, 1, 1, 1]


def test_without_a_delivery_stream_the_run_log_says_nothing_is_sent(
    db_url: str, kinesis_stream: str
) -> None:
    shard = _publish(kinesis_stream)[0]
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [consume_stream],
        resources={"postgres": PostgresResource(url=db_url),
                   "kinesis": KinesisResource(stream_name=kinesis_stream),
                   "firehose": FirehoseResource()},
        run_config={"ops": {"consume_stream": {"config": {"shard_id": shard}}}},
        instance=instance,
    )
    assert result.success
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("PMS_FIREHOSE_STREAM is not set" in m for m in messages)
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM ingest.lake_handled_count").fetchone()[0] == 0
