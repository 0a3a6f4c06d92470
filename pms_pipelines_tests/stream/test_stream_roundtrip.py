"""Publish to the Kinesis API of moto and read back shard by shard."""

from __future__ import annotations

import pytest

from pms_pipelines.aws import kinesis_client
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import StartPosition, list_shards, read_shard
from pms_pipelines.stream.records import OutgoingRecord

pytestmark = pytest.mark.integration


def test_every_record_comes_back_once_in_key_order(kinesis_stream: str) -> None:
    client = kinesis_client()
    records = [OutgoingRecord(f"key-{i % 37}", f"{i}".encode()) for i in range(1200)]
    stats = publish_records(client, kinesis_stream, records)
    assert stats.published == 1200

    seen: list[tuple[str, int]] = []
    for shard in list_shards(client, kinesis_stream):
        for batch in read_shard(
            client, kinesis_stream, shard["ShardId"], StartPosition(), batch_limit=100,
            sleep=lambda s: None,
        ):
            seen.extend((r.partition_key, int(r.data)) for r in batch.records)
    assert sorted(v for _, v in seen) == list(range(1200))
    for key in {k for k, _ in seen}:
        values = [v for k, v in seen if k == key]
        assert values == sorted(values)


def test_reading_after_a_sequence_number_resumes_exactly(kinesis_stream: str) -> None:
    client = kinesis_client()
    publish_records(client, kinesis_stream, [OutgoingRecord("one-key", b"%d" % i) for i in range(50)])
    shard_id = next(
        s["ShardId"]
        for s in list_shards(client, kinesis_stream)
        for b in read_shard(client, kinesis_stream, s["ShardId"], StartPosition(), sleep=lambda s: None)
        if b.records
    )
    first = next(read_shard(client, kinesis_stream, shard_id, StartPosition(), max_records=20,
                            batch_limit=20, sleep=lambda s: None))
    assert [int(r.data) for r in first.records] == list(range(20))
    rest = [
        int(r.data)
        for b in read_shard(client, kinesis_stream, shard_id,
                            StartPosition.after(first.records[-1].sequence_number),
                            sleep=lambda s: None)
        for r in b.records
    ]
    assert rest == list(range(20, 50))
