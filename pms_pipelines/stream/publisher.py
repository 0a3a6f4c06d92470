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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from pms_pipelines.backoff import full_jitter
from pms_pipelines.stream.records import OutgoingRecord

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
MAX_BYTES_PER_RECORD = 1024 * 1024
RETRYABLE_CALL_ERRORS = {
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "InternalFailure",
    "ServiceUnavailable",
    "KMSThrottlingException",
}


class RecordTooLarge(ValueError):
    """A record over Kinesis' 1 MiB limit: it can never be published as it is."""


class PublishFailed(RuntimeError):
    """Some records were still refused after every retry; none of them count as published."""

    def __init__(self, message: str, unpublished: Sequence[OutgoingRecord]):
        super().__init__(message)
        self.unpublished = list(unpublished)


@dataclass
class PublishStats:
    published: int = 0
    calls: int = 0
    retried_records: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)

    def merge(self, other: PublishStats) -> None:
        self.published += other.published
        self.calls += other.calls
        self.retried_records += other.retried_records
        for code, count in other.error_codes.items():
            self.error_codes[code] = self.error_codes.get(code, 0) + count


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 10
    base_delay_s: float = 0.05
    max_delay_s: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return full_jitter(attempt, self.base_delay_s, self.max_delay_s, rng.random)


def record_size(record: OutgoingRecord) -> int:
    return len(record.data) + len(record.partition_key.encode())


def batches(records: Iterable[OutgoingRecord]) -> Iterator[list[OutgoingRecord]]:
    """Group records into PutRecords calls: at most 500 records and 5 MiB each."""
    batch: list[OutgoingRecord] = []
    size = 0
    for record in records:
        rsize = record_size(record)
        if rsize > MAX_BYTES_PER_RECORD:
            raise RecordTooLarge(
                f"record for key {record.partition_key!r} is {rsize} bytes, over Kinesis' 1 MiB"
            )
        if batch and (len(batch) == MAX_RECORDS_PER_CALL or size + rsize > MAX_BYTES_PER_CALL):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += rsize
    if batch:
        yield batch


def publish_records(
    client: Any,
    stream_name: str,
    records: Iterable[OutgoingRecord],
    *,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> PublishStats:
    """Publish every record or raise; the stats count only records Kinesis accepted."""
    rng = rng or random.Random()
    stats = PublishStats()
    for batch in batches(records):
        stats.merge(_publish_batch(client, stream_name, batch, policy, sleep, rng))
    return stats


def _publish_batch(
    client: Any,
    stream_name: str,
    batch: list[OutgoingRecord],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    rng: random.Random,
) -> PublishStats:
    stats = PublishStats()
    pending = batch
    for attempt in range(policy.max_attempts):
        if attempt:
            stats.retried_records += len(pending)
            sleep(policy.delay(attempt, rng))
        stats.calls += 1
        try:
            response = client.put_records(
                StreamName=stream_name,
                Records=[{"Data": r.data, "PartitionKey": r.partition_key} for r in pending],
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in RETRYABLE_CALL_ERRORS:
                raise
            stats.error_codes[code] = stats.error_codes.get(code, 0) + 1
            continue
        failed: list[OutgoingRecord] = []
        for record, entry in zip(pending, response["Records"], strict=True):
            if entry.get("ErrorCode"):
                failed.append(record)
                code = entry["ErrorCode"]
                stats.error_codes[code] = stats.error_codes.get(code, 0) + 1
        stats.published += len(pending) - len(failed)
        pending = failed
        if not pending:
            return stats
    raise PublishFailed(
        f"{len(pending)} of {len(batch)} records still refused after {policy.max_attempts} "
        f"attempts ({stats.error_codes})",
        pending,
    )
