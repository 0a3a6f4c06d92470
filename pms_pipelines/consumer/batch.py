"""One batch of one shard, applied exactly once in effect: a single Postgres transaction
holds the upserts, the dead letters and the checkpoint advance.

An optional `before_commit` hook sees the batch's outcomes inside that transaction, after
everything is written and before the commit: the lake sender uses it, so a crash can only
make it send a batch twice, never skip one.

A crash before commit leaves Postgres as it was, and the next run re-reads the batch
from the same checkpoint; the version rule makes the re-applied events harmless.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import psycopg
from psycopg.pq import TransactionStatus

from pms_pipelines.canonical.model import Event
from pms_pipelines.consumer.decode import MAX_EVENT_BYTES, InvalidEvent, decode_event
from pms_pipelines.db.batch_result import BatchResult, Outcome
from pms_pipelines.db.checkpoints import advance_checkpoint, lock_checkpoint
from pms_pipelines.db.dead_letters import DeadLetter, store_dead_letters
from pms_pipelines.db.loader import apply_events
from pms_pipelines.stream.records import StreamRecord, sequence_order


class RecordsOutOfOrder(ValueError):
    """A batch whose records are not in shard order after the checkpoint: the caller's bug."""


class CheckpointMoved(Exception):
    """The shard's checkpoint is not where this run expected: another run advanced it."""


def apply_batch(
    conn: psycopg.Connection,
    *,
    stream: str,
    shard_id: str,
    records: Sequence[StreamRecord],
    expected_checkpoint: str | None,
    shard_ended: bool = False,
    run_id: str | None = None,
    before_commit: Callable[[BatchResult], None] | None = None,
    refused: Mapping[str, str] | None = None,
) -> BatchResult:
    """Apply `records` (in shard order, after `expected_checkpoint`) and commit.

    `refused` maps sequence numbers to a reason: those records are dead-lettered with it
    without being decoded (a record isolated because applying it failed; see isolate.py)."""
    if conn.info.transaction_status != TransactionStatus.IDLE:
        # Inside an open transaction ours would be a savepoint and commit nothing.
        raise RuntimeError("apply_batch needs a connection with no transaction in progress")
    _check_order(shard_id, records, expected_checkpoint)
    with _cyclic_gc_paused(), conn.transaction():
        current = lock_checkpoint(conn, stream, shard_id)
        if not _same_position(current.sequence_number, expected_checkpoint):
            raise CheckpointMoved(
                f"{stream}/{shard_id}: expected checkpoint {expected_checkpoint}, "
                f"found {current.sequence_number}"
            )
        decoded: list[Event | InvalidEvent] = []
        for record in records:
            if refused and record.sequence_number in refused:
                decoded.append(InvalidEvent(refused[record.sequence_number]))
                continue
            try:
                decoded.append(decode_event(record.data, record.arrived_at))
            except InvalidEvent as err:
                decoded.append(err)
        store_dead_letters(conn, [
            _dead_letter(stream, record, result.reason)
            for record, result in zip(records, decoded, strict=True)
            if isinstance(result, InvalidEvent)
        ])
        events = [result for result in decoded if isinstance(result, Event)]
        event_outcomes = iter(apply_events(conn, events))
        outcomes = [
            Outcome(record, "rejected", result.reason, None)
            if isinstance(result, InvalidEvent)
            else Outcome(record, next(event_outcomes), None, result)
            for record, result in zip(records, decoded, strict=True)
        ]
        last = records[-1].sequence_number if records else None
        if last is not None or shard_ended:
            current = advance_checkpoint(
                conn, stream, shard_id, last, shard_ended=shard_ended, run_id=run_id
            )
        counts = {name: sum(o.outcome == name for o in outcomes)
                  for name in ("loaded", "stale", "rejected")}
        result = BatchResult(outcomes, checkpoint=current.sequence_number,
                             replay_generation=current.replay_generation, **counts)
        if before_commit is not None:
            before_commit(result)  # an exception here rolls the whole batch back
    return result


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A batch makes thousands of short-lived objects (parsed events, rows) that reference
    counting frees. Left to the cyclic collector, enough of them outlive a collection to
    set off full collections, each a scan of the whole process heap (a run process holds
    Dagster, boto3, pydantic): a third of a batch's CPU. Paused for the batch instead;
    cycles made meanwhile wait for the next collection. Only the thread that paused it
    resumes it."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _check_order(
    shard_id: str, records: Sequence[StreamRecord], expected_checkpoint: str | None
) -> None:
    # A batch out of order or from another shard would move the checkpoint wrongly.
    previous = None if expected_checkpoint is None else sequence_order(expected_checkpoint)
    for record in records:
        if record.shard_id != shard_id:
            raise RecordsOutOfOrder(
                f"record {record.sequence_number} is from shard {record.shard_id}")
        position = sequence_order(record.sequence_number)
        if previous is not None and position <= previous:
            raise RecordsOutOfOrder(f"record {record.sequence_number} is not after {previous}")
        previous = position


def _same_position(stored: str | None, expected: str | None) -> bool:
    if stored is None or expected is None:
        return stored is expected
    return sequence_order(stored) == sequence_order(expected)


def _dead_letter(stream: str, record: StreamRecord, reason: str) -> DeadLetter:
    """Keep the original bytes, plus the record's key when the JSON is readable enough."""
    key: dict[str, str | None] = {}
    document = None
    if len(record.data) <= MAX_EVENT_BYTES:
        try:
            document = json.loads(record.data)
        except (ValueError, RecursionError):
            pass
    if isinstance(document, dict):
        for name in ("source", "agency_id", "entity", "source_id"):
            value = document.get(name)
            key[name] = value if isinstance(value, str) else None  # made storable there
    return DeadLetter(
        stage="consume", reason=reason, raw=record.data, stream_name=stream,
        shard_id=record.shard_id, sequence_number=record.sequence_number, **key,
    )
