"""Publish records to a Kinesis stream within its limits, retrying only what failed.

Kinesis limits (PutRecords): 500 records and 5 MiB a call, 1 MiB a record (data plus
partition key). A call can succeed while some of its records fail
(`FailedRecordCount` > 0, `ProvisionedThroughputExceededException` or
`InternalFailure` per entry): only those are sent again, with exponential backoff and
full jitter. Nothing is counted as published that Kinesis did not accept; records
still failing after the last attempt raise `PublishFailed`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pms_pipelines.stream import batched_put
from pms_pipelines.stream.batched_put import Limits, PutFailed, PutStats, RecordTooLarge, RetryPolicy
from pms_pipelines.stream.records import OutgoingRecord

__all__ = ["PublishFailed", "PublishStats", "RecordTooLarge", "RetryPolicy", "batches",
           "publish_records", "record_size"]

KINESIS = Limits(
    service="Kinesis",
    max_records_per_call=500,
    max_bytes_per_call=5 * 1024 * 1024,
    max_bytes_per_record=1024 * 1024,
    retryable_call_errors=frozenset({
        "ProvisionedThroughputExceededException", "LimitExceededException",
        "InternalFailure", "ServiceUnavailable", "KMSThrottlingException",
    }),
)
MAX_BYTES_PER_CALL = KINESIS.max_bytes_per_call


class PublishFailed(PutFailed[OutgoingRecord]):
    """Some records were still refused after every retry; none of them count as published."""

    @property
    def unpublished(self) -> list[OutgoingRecord]:
        return self.refused


class PublishStats(PutStats):
    @property
    def published(self) -> int:
        return self.accepted


def record_size(record: OutgoingRecord) -> int:
    return len(record.data) + len(record.partition_key.encode())


def batches(records: Iterable[OutgoingRecord]) -> Iterator[list[OutgoingRecord]]:
    """Group records into PutRecords calls: at most 500 records and 5 MiB each."""
    return batched_put.batches(records, record_size, KINESIS)


def publish_records(
    client: Any,
    stream_name: str,
    records: Iterable[OutgoingRecord],
    *,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> PublishStats:
    """Publish every record or raise `PublishFailed`; the stats count only records
    Kinesis accepted."""
    rng = rng or random.Random()
    stats = PublishStats()

    def send(pending: list[OutgoingRecord]) -> list[str | None]:
        response = client.put_records(
            StreamName=stream_name,
            Records=[{"Data": r.data, "PartitionKey": r.partition_key} for r in pending],
        )
        return [entry.get("ErrorCode") for entry in response["Records"]]

    for batch in batches(records):
        stats.merge(batched_put.put_batch(send, batch, KINESIS, policy, sleep, rng, PublishFailed))
    return stats
