"""Publisher: batching within Kinesis limits and retrying only the records that failed."""

from __future__ import annotations

import random

import pytest
from botocore.exceptions import ClientError

from pms_pipelines.stream.publisher import (
    MAX_BYTES_PER_CALL,
    PublishFailed,
    RecordTooLarge,
    RetryPolicy,
    batches,
    publish_records,
)
from pms_pipelines.stream.records import OutgoingRecord


def _records(n: int, size: int = 10) -> list[OutgoingRecord]:
    return [OutgoingRecord(f"k{i}", bytes([i % 251]) * size) for i in range(n)]


class FlakyKinesis:
    """Fails the given entries of each call (by position) and whole calls, as real Kinesis can."""

    def __init__(self, fail_plan: list[set[int] | str]):
        self.fail_plan = fail_plan
        self.calls: list[list[bytes]] = []
        self.accepted: list[bytes] = []

    def put_records(self, StreamName: str, Records: list[dict]) -> dict:
        self.calls.append([r["Data"] for r in Records])
        plan = self.fail_plan.pop(0) if self.fail_plan else set()
        if plan == "throttle-call":
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException"}}, "PutRecords"
            )
        entries = []
        for i, record in enumerate(Records):
            if i in plan:
                entries.append({"ErrorCode": "ProvisionedThroughputExceededException"})
            else:
                self.accepted.append(record["Data"])
                entries.append({"SequenceNumber": str(len(self.accepted)), "ShardId": "s"})
        return {"FailedRecordCount": len(plan), "Records": entries}


def test_batches_respect_count_and_size_limits() -> None:
    assert [len(b) for b in batches(_records(1201))] == [500, 500, 201]
    big = _records(12, size=1000 * 1024)
    for batch in batches(big):
        assert sum(len(r.data) + len(r.partition_key) for r in batch) <= MAX_BYTES_PER_CALL
    assert sum(len(b) for b in batches(big)) == 12


def test_record_over_one_mib_is_refused_before_any_call() -> None:
    with pytest.raises(RecordTooLarge, match="over Kinesis's 1024 KiB"):
        list(batches([OutgoingRecord("k", b"x" * (1024 * 1024))]))


def test_only_failed_records_are_retried() -> None:
    records = _records(5)
    kinesis = FlakyKinesis([{1, 3}, "throttle-call", {0}])
    stats = publish_records(kinesis, "s", records, sleep=lambda s: None, rng=random.Random(1))
    assert [len(c) for c in kinesis.calls] == [5, 2, 2, 1]
    assert sorted(kinesis.accepted) == sorted(r.data for r in records)
    assert len(kinesis.accepted) == 5  # nothing accepted twice
    assert stats.published == 5
    assert stats.retried_records == 2 + 2 + 1


def test_records_still_refused_raise_and_are_not_counted() -> None:
    kinesis = FlakyKinesis([{0}] * 3)
    with pytest.raises(PublishFailed) as raised:
        publish_records(
            kinesis, "s", _records(3), policy=RetryPolicy(max_attempts=3), sleep=lambda s: None
        )
    assert [r.partition_key for r in raised.value.unpublished] == ["k0"]
    assert len(kinesis.accepted) == 2


class Pinned(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


def test_backoff_grows_exponentially_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=1.0)
    ceilings = [policy.delay(attempt, Pinned(1.0)) for attempt in range(6)]
    assert ceilings == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert [policy.delay(attempt, Pinned(0.5)) for attempt in range(3)] == pytest.approx(
        [0.05, 0.1, 0.2]
    )
