"""Publish to the Kinesis API of moto and read back shard by shard."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from pms_pipelines.aws import kinesis_client
from pms_pipelines.stream.publisher import publish_records
from pms_pipelines.stream.reader import ReaderTail, StartPosition, list_shards, read_shard
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


class ScriptedKinesis:
    """GetRecords answers played back in order, to show what moto never does."""

    def __init__(self, *pages: dict | Exception) -> None:
        self.pages = list(pages)
        self.iterators: list[dict] = []

    def get_shard_iterator(self, **kwargs) -> dict:
        self.iterators.append(kwargs)
        return {"ShardIterator": f"it-{len(self.iterators)}"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict:
        page = self.pages.pop(0)
        if isinstance(page, Exception):
            raise page
        return page


def _page(*seqs: str, behind: int = 0, next_iterator: str | None = "next") -> dict:
    return {"Records": [{"SequenceNumber": s, "PartitionKey": "k", "Data": s.encode()}
                        for s in seqs], "MillisBehindLatest": behind,
            "NextShardIterator": next_iterator}


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code}}, "GetRecords")


def test_reader_walks_empty_pages_while_behind_and_survives_expiry_and_throttling() -> None:
    client = ScriptedKinesis(
        _page("1", "2", behind=500),
        _page(behind=400),  # real Kinesis: empty while walking past a gap
        _error("ExpiredIteratorException"),
        _error("ProvisionedThroughputExceededException"),
        _page("3", behind=0),
        _page(), _page(),  # caught up twice: done
    )
    sleeps: list[float] = []
    batches = list(read_shard(client, "s", "shard-0", StartPosition(), sleep=sleeps.append))
    assert [r.sequence_number for b in batches for r in b.records] == ["1", "2", "3"]
    # The expired iterator was replaced from the last record read, not from the start.
    assert client.iterators[1] == {"StreamName": "s", "ShardId": "shard-0",
                                   "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                                   "StartingSequenceNumber": "2"}
    assert len(sleeps) >= 3  # paced on empty pages, backed off when throttled


def test_reader_reports_the_end_of_a_closed_shard() -> None:
    client = ScriptedKinesis(_page("7", behind=0), _page(next_iterator=None))
    batches = list(read_shard(client, "s", "shard-0", StartPosition.after("6"),
                              sleep=lambda s: None))
    assert [b.shard_ended for b in batches] == [False, True]
    assert batches[-1].records == []


class Clock:
    """A clock the reader's sleeps move forward."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def test_a_lingering_reader_reads_what_comes_until_quiet_for_the_linger() -> None:
    clock = Clock()
    quiet = [_page() for _ in range(200)]
    client = ScriptedKinesis(_page("1"), _page(), _page(), _page(), _page("2"), *quiet)
    tail = ReaderTail()
    batches = list(read_shard(client, "s", "shard-0", StartPosition(), sleep=clock.sleep,
                              clock=clock, linger_s=10.0, tail=tail))
    # Caught up after "1", it went on asking and read "2"; then ten quiet seconds ended it.
    assert [r.sequence_number for b in batches for r in b.records] == ["1", "2"]
    assert 10.0 <= clock.now <= 13.0
    assert tail.after_sequence == "2"  # the sensor's probe starts where it stopped


def test_a_lingering_reader_stops_lingering_after_until() -> None:
    clock = Clock()
    client = ScriptedKinesis(_page("1"), *[_page() for _ in range(200)])
    list(read_shard(client, "s", "shard-0", StartPosition(), sleep=clock.sleep, clock=clock,
                    linger_s=60.0, until=5.0))
    assert 5.0 <= clock.now <= 6.0
