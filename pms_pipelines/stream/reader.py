"""Read one shard from a position, in batches, until caught up, ended or out of budget.

An expired shard iterator is replaced from the last sequence number seen, so nothing
is skipped or read twice by the reader itself. Throttling (`ProvisionedThroughput
ExceededException`) backs off with jitter and tries again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import ClientError

from pms_pipelines.backoff import full_jitter
from pms_pipelines.stream.records import StreamRecord

THROTTLED = {"ProvisionedThroughputExceededException", "LimitExceededException"}
EMPTY_PAGE_PAUSE_S = 0.2
# Between the polls of a caught-up reader that lingers: two GetRecords a second of the
# five a shard allows, the rest left to the sensor's probe and a replay.
LINGER_PAUSE_S = 0.5


@dataclass(frozen=True)
class StartPosition:
    """Where to start: after a sequence number, at one, at a timestamp, or the trim horizon."""

    kind: str = "TRIM_HORIZON"  # AFTER_SEQUENCE_NUMBER | AT_SEQUENCE_NUMBER | AT_TIMESTAMP
    sequence_number: str | None = None
    timestamp: datetime | None = None

    @classmethod
    def after(cls, sequence_number: str | None) -> StartPosition:
        if sequence_number is None:
            return cls("TRIM_HORIZON")
        return cls("AFTER_SEQUENCE_NUMBER", sequence_number=sequence_number)

    def iterator_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"ShardIteratorType": self.kind}
        if self.sequence_number is not None:
            args["StartingSequenceNumber"] = self.sequence_number
        if self.timestamp is not None:
            args["Timestamp"] = self.timestamp
        return args


@dataclass
class ReaderTail:
    """Filled by `read_shard` when it stops with the shard still open: the next iterator,
    positioned right after `after_sequence` (None: the start was the trim horizon and no
    record was read), and when Kinesis issued it (it expires 5 minutes later)."""

    iterator: str | None = None
    after_sequence: str | None = None
    issued_at: datetime | None = None


@dataclass(frozen=True)
class ShardBatch:
    records: list[StreamRecord]
    millis_behind_latest: int
    shard_ended: bool


def shard_iterator(client: Any, stream: str, shard_id: str, start: StartPosition) -> str:
    response = client.get_shard_iterator(
        StreamName=stream, ShardId=shard_id, **start.iterator_args()
    )
    return response["ShardIterator"]


def read_shard(
    client: Any,
    stream: str,
    shard_id: str,
    start: StartPosition,
    *,
    batch_limit: int = 1000,
    max_records: int | None = None,
    empty_polls: int = 2,
    sleep: Callable[[float], None] = time.sleep,
    tail: ReaderTail | None = None,
    linger_s: float = 0.0,
    until: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[ShardBatch]:
    """Yield batches of records. Stops when the shard is ended, when `max_records` were
    read, or when the reader is caught up (no records and nothing behind) `empty_polls`
    times in a row, and has had no record for `linger_s` (0: at once), or it is past
    `until` (a `clock` time; None: never). While it lingers it asks every
    `LINGER_PAUSE_S`, so a record published meanwhile is read within that. A final
    batch with `shard_ended=True` and no records marks the end. On a stop with the shard
    open, `tail` (if given) gets the next iterator."""
    iterator = shard_iterator(client, stream, shard_id, start)
    last_sequence = start.sequence_number if start.kind == "AFTER_SEQUENCE_NUMBER" else None
    # Whether "right after last_sequence" names the position (not so from a timestamp).
    position_known = start.kind in ("AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON")
    read = 0
    idle = 0
    throttled = 0
    rng = random.Random()
    quiet_since = clock()
    while True:
        limit = batch_limit if max_records is None else min(batch_limit, max_records - read)
        try:
            issued_at = datetime.now(timezone.utc)
            response = client.get_records(ShardIterator=iterator, Limit=max(limit, 1))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ExpiredIteratorException":
                iterator = shard_iterator(
                    client, stream, shard_id,
                    StartPosition.after(last_sequence) if last_sequence else start,
                )
                continue
            if code in THROTTLED and throttled < 8:
                throttled += 1
                sleep(full_jitter(throttled, 0.1, 5.0, rng.random))
                continue
            raise
        throttled = 0
        records = [
            StreamRecord(
                shard_id=shard_id,
                sequence_number=r["SequenceNumber"],
                partition_key=r["PartitionKey"],
                data=r["Data"],
                arrived_at=r.get("ApproximateArrivalTimestamp"),
            )
            for r in response["Records"]
        ]
        behind = int(response.get("MillisBehindLatest", 0))
        next_iterator = response.get("NextShardIterator")
        ended = next_iterator is None
        if records:
            last_sequence = records[-1].sequence_number
            position_known = True
            read += len(records)
        if records or ended:
            yield ShardBatch(records, behind, ended)
        if records:
            quiet_since = clock()
        now = clock()
        lingering = (linger_s > 0 and now - quiet_since < linger_s
                     and (until is None or now < until))
        caught_up = (not records and behind == 0 and idle + 1 >= empty_polls
                     and not lingering)
        if not ended and tail is not None and position_known and (
                caught_up or (max_records is not None and read >= max_records)):
            tail.iterator, tail.after_sequence, tail.issued_at = (
                next_iterator, last_sequence, issued_at)
        if ended or (max_records is not None and read >= max_records):
            return
        if records:
            idle = 0
        else:
            # Real Kinesis returns empty pages while it walks past gaps (behind > 0): keep
            # going, but pace the calls: a shard allows 5 GetRecords a second.
            idle = idle + 1 if behind == 0 else 0
            if caught_up:
                return
            sleep(LINGER_PAUSE_S if idle >= empty_polls else EMPTY_PAGE_PAUSE_S)
        iterator = next_iterator


def list_shards(client: Any, stream: str) -> list[dict[str, Any]]:
    """Every shard the stream still holds (open and closed), following pagination."""
    shards: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"StreamName": stream}
    while True:
        response = client.list_shards(**kwargs)
        shards.extend(response["Shards"])
        token = response.get("NextToken")
        if not token:
            return shards
        kwargs = {"NextToken": token}
