"""Deliver records to a Kinesis Data Firehose delivery stream (direct put), retrying only
what failed.

Firehose limits (PutRecordBatch): 500 records and 4 MiB a call, 1,000 KiB a record. A
call can succeed while some of its records fail (`FailedPutCount` > 0, an `ErrorCode`
per entry): only those are sent again, with the project's one backoff rule. Firehose
adds no separator between records, so a caller that wants lines ends each record with
"\\n" itself. This module knows bytes, not what they mean.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pms_pipelines.stream import batched_put
from pms_pipelines.stream.batched_put import Limits, PutFailed, PutStats, RecordTooLarge, RetryPolicy

__all__ = ["DeliveryFailed", "DeliveryStats", "RecordTooLarge", "RetryPolicy", "batches",
           "deliver_records"]

FIREHOSE = Limits(
    service="Firehose",
    max_records_per_call=500,
    max_bytes_per_call=4 * 1024 * 1024,
    max_bytes_per_record=1000 * 1024,
    retryable_call_errors=frozenset({
        "ServiceUnavailableException", "ThrottlingException", "InternalFailure",
        "InternalFailureException", "LimitExceededException",
    }),
)
MAX_BYTES_PER_RECORD = FIREHOSE.max_bytes_per_record


class DeliveryFailed(PutFailed[bytes]):
    """Some records were still refused after every retry."""

    @property
    def undelivered(self) -> list[bytes]:
        return self.refused


class DeliveryStats(PutStats):
    @property
    def delivered(self) -> int:
        return self.accepted


def batches(records: Iterable[bytes]) -> Iterator[list[bytes]]:
    """Group records into PutRecordBatch calls: at most 500 records and 4 MiB each."""
    return batched_put.batches(records, len, FIREHOSE)


def deliver_records(
    client: Any,
    delivery_stream: str,
    records: Iterable[bytes],
    *,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> DeliveryStats:
    """Deliver every record or raise `DeliveryFailed`; the stats count accepted records."""
    rng = rng or random.Random()
    stats = DeliveryStats()

    def send(pending: list[bytes]) -> list[str | None]:
        response = client.put_record_batch(
            DeliveryStreamName=delivery_stream, Records=[{"Data": r} for r in pending]
        )
        if not response.get("FailedPutCount", 0):
            return [None] * len(pending)
        return [entry.get("ErrorCode") for entry in response["RequestResponses"]]

    for batch in batches(records):
        stats.merge(batched_put.put_batch(send, batch, FIREHOSE, policy, sleep, rng, DeliveryFailed))
    return stats
