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
from pms_pipelines.lake.raw import list_day_objects, read_raw_lines
from pms_pipelines.lake.sink import LakeSink
from pms_pipelines.local_stack.aws_emulator import create_delivery_stream
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
