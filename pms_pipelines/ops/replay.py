"""Replay a stream: move shards' checkpoints back so the consumer reads them again.

The consumer reads each shard after its checkpoint (`ingest.checkpoint`), so a replay
only moves checkpoints back, and the consumer sensor does the rest. The start is the
trim horizon, a timestamp or (one shard) a sequence number. The consumer starts *after*
a checkpoint, so for a timestamp or a sequence number the new checkpoint is the record
just before the first record to read again: found in Kinesis by looking back from that
record's arrival time in growing windows (GetShardIterator AT_TIMESTAMP), never by
arithmetic on sequence numbers, which Kinesis would refuse. When nothing is before it
in the stream's retention, the checkpoint goes back to the trim horizon.

A replay never moves a checkpoint forward (a lagging consumer keeps its place), and it
is safe against a consume run in flight: the checkpoint row's lock waits for the batch
being committed, and that run's next batch stops on the expected-checkpoint guard.

Why replay, and what it re-applies: the version rule keeps a stored row unless an
event is strictly newer. A whole-database restore brings its checkpoints back with its
rows, so the consumer resumes from there by itself (within the retention). When rows
were restored or lost without their checkpoints (the `pms` tables from a dump, rows
deleted by mistake), a replay from before the loss loads them again. After a fix of the loader or of a
mapping, the stream's events have the same versions as the stored rows, so a replay
changes nothing: re-sync the agency instead (a full pull writes every record again
with a new version, through the fixed code), and re-drive dead letters for events the
consumer refused. There is deliberately no option to re-apply equal versions: a replay
window rarely holds the latest event of every row, so it would fix some rows and not
others, and replaying an older window over newer rows would need the same exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from botocore.exceptions import ClientError

from pms_pipelines.db.checkpoints import read_checkpoints, rewind_checkpoint
from pms_pipelines.stream.reader import StartPosition, list_shards, read_shard
from pms_pipelines.stream.records import StreamRecord, sequence_order

START_KINDS = ("trim_horizon", "timestamp", "sequence_number")
_FIRST_WINDOW = timedelta(seconds=1)


@dataclass(frozen=True)
class ReplayStart:
    """Where to read again from: the trim horizon, the first record that arrived at or
    after `timestamp`, or the record `sequence_number` (or the first after it)."""

    kind: str = "trim_horizon"
    timestamp: datetime | None = None
    sequence_number: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in START_KINDS:
            raise ValueError(f"start must be one of {', '.join(START_KINDS)}, not {self.kind!r}")
        if self.kind == "timestamp":
            if self.timestamp is None or self.timestamp.tzinfo is None:
                raise ValueError("a timestamp start needs a timestamp with a time zone")
            if self.timestamp > datetime.now(timezone.utc):
                raise ValueError(f"the timestamp {self.timestamp.isoformat()} is in the future")
        elif self.timestamp is not None:
            raise ValueError(f"a {self.kind} start takes no timestamp")
        if self.kind == "sequence_number":
            if not (self.sequence_number or "").isdigit():
                raise ValueError("a sequence_number start needs a decimal sequence number")
        elif self.sequence_number is not None:
            raise ValueError(f"a {self.kind} start takes no sequence number")

    def position(self) -> StartPosition:
        if self.kind == "timestamp":
            return StartPosition("AT_TIMESTAMP", timestamp=self.timestamp)
        if self.kind == "sequence_number":
            return StartPosition("AT_SEQUENCE_NUMBER", sequence_number=self.sequence_number)
        return StartPosition("TRIM_HORIZON")

    def describe(self) -> str:
        if self.kind == "timestamp":
            assert self.timestamp is not None
            return f"timestamp {self.timestamp.isoformat()}"
        if self.kind == "sequence_number":
            return f"sequence number {self.sequence_number}"
        return "the trim horizon"


@dataclass(frozen=True)
class ShardReplay:
    shard_id: str
    checkpoint_before: str | None  # None: the shard is read from the trim horizon
    checkpoint_after: str | None  # what the replay sets (None: the trim horizon)
    first_record: str | None  # the first record the consumer reads again, if known
    moved: bool
    note: str


def replay(
    kinesis: Any,
    conn: Any,
    stream: str,
    start: ReplayStart,
    *,
    shard_ids: Sequence[str] = (),
    dry_run: bool = False,
    run_id: str | None = None,
    on_shard: Callable[[ShardReplay], None] | None = None,
) -> list[ShardReplay]:
    """Move the checkpoints of `shard_ids` (default: every shard the stream holds) back
    to `start`; one transaction per shard. Returns what happened to each shard."""
    listed = [shard["ShardId"] for shard in list_shards(kinesis, stream)]
    chosen = list(shard_ids) or listed
    unknown = sorted(set(chosen) - set(listed))
    if unknown:
        raise ValueError(f"stream {stream} has no shard {', '.join(unknown)}")
    if start.kind == "sequence_number" and len(chosen) != 1:
        raise ValueError("a sequence number belongs to one shard: name exactly one shard")
    results = []
    for shard_id in chosen:
        result = _replay_shard(kinesis, conn, stream, shard_id, start, dry_run, run_id)
        results.append(result)
        if on_shard is not None:
            on_shard(result)
    return results


def _replay_shard(
    kinesis: Any, conn: Any, stream: str, shard_id: str, start: ReplayStart,
    dry_run: bool, run_id: str | None,
) -> ShardReplay:
    stored = read_checkpoints(conn, stream).get(shard_id)
    conn.commit()
    before = stored.sequence_number if stored else None
    try:
        first = _first_record(kinesis, stream, shard_id, start.position())
    except ClientError as error:  # e.g. a sequence number of another shard
        if error.response.get("Error", {}).get("Code") != "InvalidArgumentException":
            raise
        raise ValueError(f"{stream}/{shard_id}: Kinesis refused {start.describe()}: "
                         f"{error.response['Error'].get('Message', error)}") from error
    if first is None and start.kind != "trim_horizon":
        return ShardReplay(shard_id, before, before, None, False,
                           f"no record at or after {start.describe()}")
    previous = None if first is None or start.kind == "trim_horizon" else _record_before(
        kinesis, stream, shard_id, first)
    target = previous.sequence_number if previous else None
    first_id = first.sequence_number if first else None
    if not _is_before(target, before):
        return ShardReplay(shard_id, before, before, first_id, False,
                           "the checkpoint is not after the replay position: nothing to replay")
    if dry_run:
        return ShardReplay(shard_id, before, target, first_id, False, "dry run")
    with conn.transaction():
        moved = rewind_checkpoint(
            conn, stream, shard_id, target,
            last_arrival_at=previous.arrived_at if previous else None,
            run_id=f"replay:{run_id}" if run_id else "replay",
        )
    if moved is None:  # another replay got there first
        return ShardReplay(shard_id, before, before, first_id, False,
                           "the checkpoint moved back meanwhile: nothing to replay")
    return ShardReplay(shard_id, before, target, first_id, True,
                       f"moved back to {'the trim horizon' if target is None else target}")


def _is_before(target: str | None, checkpoint: str | None) -> bool:
    if checkpoint is None:
        return False
    return target is None or sequence_order(target) < sequence_order(checkpoint)


def _records(kinesis: Any, stream: str, shard_id: str, start: StartPosition) -> Iterator[StreamRecord]:
    for batch in read_shard(kinesis, stream, shard_id, start, batch_limit=1000):
        yield from batch.records


def _first_record(
    kinesis: Any, stream: str, shard_id: str, start: StartPosition
) -> StreamRecord | None:
    records = _records(kinesis, stream, shard_id, start)
    try:
        return next(records, None)
    finally:
        records.close()


def _record_before(
    kinesis: Any, stream: str, shard_id: str, first: StreamRecord
) -> StreamRecord | None:
    """The record just before `first` in the shard, None when `first` is the oldest one.

    Reads from ever earlier arrival times (1 s, 4 s, 16 s, ... before `first`) up to
    `first`, so the cost is a few times the records in the last window, not the shard.
    """
    oldest = _first_record(kinesis, stream, shard_id, StartPosition("TRIM_HORIZON"))
    if oldest is None or sequence_order(oldest.sequence_number) >= sequence_order(
        first.sequence_number
    ):
        return None
    window = _FIRST_WINDOW
    while True:
        since = None if first.arrived_at is None else first.arrived_at - window
        from_oldest = since is None or oldest.arrived_at is None or since <= oldest.arrived_at
        start = (StartPosition("TRIM_HORIZON") if from_oldest
                 else StartPosition("AT_TIMESTAMP", timestamp=since))
        previous = None
        records = _records(kinesis, stream, shard_id, start)
        try:
            for record in records:
                if sequence_order(record.sequence_number) >= sequence_order(first.sequence_number):
                    break
                previous = record
        finally:
            records.close()
        if previous is not None:
            return previous
        if from_oldest:  # the oldest record is before `first`: reading it found none?
            raise RuntimeError(f"{stream}/{shard_id}: no record before {first.sequence_number} "
                               f"read from the trim horizon, though {oldest.sequence_number} is")
        window *= 4
