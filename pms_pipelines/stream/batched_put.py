"""Putting records to an AWS API that can accept part of a call — Kinesis PutRecords,
Firehose PutRecordBatch — one way: batches within the service's limits, and only the
records that failed inside a call are sent again, with the project's one backoff rule.
Nothing is counted as accepted that the service did not accept."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from botocore.exceptions import ClientError

from pms_pipelines.backoff import full_jitter

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 10
    base_delay_s: float = 0.05
    max_delay_s: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return full_jitter(attempt, self.base_delay_s, self.max_delay_s, rng.random)


@dataclass(frozen=True)
class Limits:
    service: str
    max_records_per_call: int
    max_bytes_per_call: int
    max_bytes_per_record: int
    retryable_call_errors: frozenset[str]


@dataclass
class PutStats:
    accepted: int = 0
    calls: int = 0
    retried_records: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)

    def merge(self, other: PutStats) -> None:
        self.accepted += other.accepted
        self.calls += other.calls
        self.retried_records += other.retried_records
        for code, count in other.error_codes.items():
            self.error_codes[code] = self.error_codes.get(code, 0) + count

    def count_error(self, code: str) -> None:
        self.error_codes[code] = self.error_codes.get(code, 0) + 1


class RecordTooLarge(ValueError):
    """A record over the service's per-record limit: it can never be put as it is."""


class PutFailed(RuntimeError, Generic[T]):
    """Some records were still refused after every retry; none of them count as accepted."""

    def __init__(self, message: str, refused: Sequence[T]):
        super().__init__(message)
        self.refused = list(refused)


def batches(records: Iterable[T], size: Callable[[T], int], limits: Limits) -> Iterator[list[T]]:
    """Group records into calls within the service's count and size limits."""
    batch: list[T] = []
    total = 0
    for record in records:
        record_size = size(record)
        if record_size > limits.max_bytes_per_record:
            raise RecordTooLarge(
                f"a record of {record_size} bytes is over {limits.service}'s "
                f"{limits.max_bytes_per_record // 1024} KiB per record"
            )
        if batch and (len(batch) == limits.max_records_per_call
                      or total + record_size > limits.max_bytes_per_call):
            yield batch
            batch, total = [], 0
        batch.append(record)
        total += record_size
    if batch:
        yield batch


def put_batch(
    send: Callable[[list[T]], list[str | None]],
    batch: list[T],
    limits: Limits,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    rng: random.Random,
    failure: Callable[[str, list[T]], Exception],
) -> PutStats:
    """Send `batch`; `send` returns each record's error code (None: accepted) or raises
    the call's ClientError. Retries what failed; raises `failure(...)` for what never
    got in."""
    stats = PutStats()
    pending = batch
    for attempt in range(policy.max_attempts):
        if attempt:
            stats.retried_records += len(pending)
            sleep(policy.delay(attempt, rng))
        stats.calls += 1
        try:
            codes = send(pending)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in limits.retryable_call_errors:
                raise
            stats.count_error(code)
            continue
        failed = [record for record, code in zip(pending, codes, strict=True) if code]
        for code in filter(None, codes):
            stats.count_error(code)
        stats.accepted += len(pending) - len(failed)
        pending = failed
        if not pending:
            return stats
    raise failure(
        f"{len(pending)} of {len(batch)} records still refused by {limits.service} after "
        f"{policy.max_attempts} attempts ({stats.error_codes})",
        pending,
    )
