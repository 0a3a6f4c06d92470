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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from pms_pipelines.stream.publisher import RetryPolicy

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 4 * 1024 * 1024
MAX_BYTES_PER_RECORD = 1000 * 1024
RETRYABLE_CALL_ERRORS = {
    "ServiceUnavailableException",
    "ThrottlingException",
    "InternalFailure",
    "InternalFailureException",
    "LimitExceededException",
}


class RecordTooLarge(ValueError):
    """A record over Firehose's 1,000 KiB limit: it can never be delivered as it is."""


class DeliveryFailed(RuntimeError):
    """Some records were still refused after every retry."""

    def __init__(self, message: str, undelivered: Sequence[bytes]):
        super().__init__(message)
        self.undelivered = list(undelivered)


@dataclass
class DeliveryStats:
    delivered: int = 0
    calls: int = 0
    retried_records: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)

    def merge(self, other: DeliveryStats) -> None:
        self.delivered += other.delivered
        self.calls += other.calls
        self.retried_records += other.retried_records
        for code, count in other.error_codes.items():
            self.error_codes[code] = self.error_codes.get(code, 0) + count


def batches(records: Iterable[bytes]) -> Iterator[list[bytes]]:
    """Group records into PutRecordBatch calls: at most 500 records and 4 MiB each."""
    batch: list[bytes] = []
    size = 0
    for record in records:
        if len(record) > MAX_BYTES_PER_RECORD:
            raise RecordTooLarge(f"record of {len(record)} bytes is over Firehose's 1,000 KiB")
        if batch and (len(batch) == MAX_RECORDS_PER_CALL or size + len(record) > MAX_BYTES_PER_CALL):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += len(record)
    if batch:
        yield batch


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
    for batch in batches(records):
        stats.merge(_deliver_batch(client, delivery_stream, batch, policy, sleep, rng))
    return stats


def _deliver_batch(
    client: Any,
    delivery_stream: str,
    batch: list[bytes],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    rng: random.Random,
) -> DeliveryStats:
    stats = DeliveryStats()
    pending = batch
    for attempt in range(policy.max_attempts):
        if attempt:
            stats.retried_records += len(pending)
            sleep(policy.delay(attempt, rng))
        stats.calls += 1
        try:
            response = client.put_record_batch(
                DeliveryStreamName=delivery_stream, Records=[{"Data": r} for r in pending]
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in RETRYABLE_CALL_ERRORS:
                raise
            stats.error_codes[code] = stats.error_codes.get(code, 0) + 1
            continue
        failed: list[bytes] = []
        if response.get("FailedPutCount", 0):
            for record, entry in zip(pending, response["RequestResponses"], strict=True):
                if entry.get("ErrorCode"):
                    failed.append(record)
                    code = entry["ErrorCode"]
                    stats.error_codes[code] = stats.error_codes.get(code, 0) + 1
        stats.delivered += len(pending) - len(failed)
        pending = failed
        if not pending:
            return stats
    raise DeliveryFailed(
        f"{len(pending)} of {len(batch)} records still refused by {delivery_stream} after "
        f"{policy.max_attempts} attempts ({stats.error_codes})",
        pending,
    )
