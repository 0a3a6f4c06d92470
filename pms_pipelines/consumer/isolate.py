"""A shard always moves: a batch that fails because of what one of its records holds is
split until that record stands alone, and the record is then dead-lettered with the
error as its reason; the records around it are applied as usual.

Validation already turns every record it can recognise as bad into a dead letter; this
is the mechanism for the rest, whatever they are (a value Postgres refuses, a bug that
only some content reaches). Without it such a record rolls its batch back on every
retry, the checkpoint never passes it, and once the stream's retention has gone by,
everything queued behind it is lost.

Only a fault the record can cause is split on: an error of Postgres' data, integrity or
limit classes, or an exception in our own Python (a `ValueError`, an `OverflowError`).
A fault of the world is not the record's (the database or AWS unreachable, a deadlock,
throttling, another run moving the checkpoint): it re-raises, and the whole batch is tried
again by the next run, so nothing is dead-lettered for an outage. Each split commits what
it applied, so bisecting a batch of n records with one bad record costs about 2·log2(n)
transactions, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import psycopg
from botocore.exceptions import BotoCoreError, ClientError

from pms_pipelines.consumer.batch import CheckpointMoved, RecordsOutOfOrder
from pms_pipelines.db.batch_result import BatchResult
from pms_pipelines.stream.batched_put import PutFailed
from pms_pipelines.stream.records import StreamRecord

log = logging.getLogger(__name__)
ISOLATED_REASON = "could not be applied: "  # how an isolated record's dead letter begins

# Apply these records after this checkpoint (ending the shard if told), dead-lettering
# the sequence numbers in the mapping with the reason given; commit; say what was done.
ApplyBatch = Callable[
    [Sequence[StreamRecord], str | None, bool, Mapping[str, str] | None], BatchResult]

# SQLSTATE classes a record's content can provoke: 22 data exception (a value out of
# range, a NUL in text), 23 integrity constraint violation, 54 program limit exceeded (a
# value too large to index). Everything else Postgres says is about the server, the
# connection or our statements, not one record.
_RECORD_SQLSTATE_CLASSES = frozenset({"22", "23", "54"})
# Faults no record's content causes: the world's, or the caller's (records out of order).
_NOT_THE_RECORDS = (CheckpointMoved, RecordsOutOfOrder, OSError, BotoCoreError, ClientError,
                    PutFailed, MemoryError)


def is_record_fault(error: Exception) -> bool:
    """Whether `error` could be caused by what a record holds (rather than by an outage)."""
    if isinstance(error, psycopg.Error):
        if error.sqlstate is None:  # raised by the driver before the server saw it
            return isinstance(error, psycopg.DataError)
        return error.sqlstate[:2] in _RECORD_SQLSTATE_CLASSES
    return not isinstance(error, _NOT_THE_RECORDS)


def apply_isolating(
    apply: ApplyBatch,
    records: Sequence[StreamRecord],
    expected_checkpoint: str | None,
    shard_ended: bool,
) -> list[BatchResult]:
    """Apply `records` as one batch or, if a record's content makes that fail, as parts
    with each offending record dead-lettered alone; return every committed part's result
    in shard order. A world fault re-raises (parts already committed stay committed)."""
    try:
        return [apply(records, expected_checkpoint, shard_ended, None)]
    except Exception as error:  # noqa: BLE001 - classified below; anything else re-raises
        if not records or not is_record_fault(error):
            raise
        fault = error
    if len(records) == 1:
        record = records[0]
        reason = f"{ISOLATED_REASON}{type(fault).__name__}: {fault}"
        log.warning("dead-lettering %s/%s, which fails the batch: %s", record.shard_id,
                    record.sequence_number, reason[:300])
        return [apply(records, expected_checkpoint, shard_ended,
                      {record.sequence_number: reason})]
    half = len(records) // 2
    first = apply_isolating(apply, records[:half], expected_checkpoint, False)
    rest = apply_isolating(apply, records[half:], first[-1].checkpoint, shard_ended)
    return first + rest
