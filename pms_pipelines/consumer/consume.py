"""Drain one shard into Postgres from its checkpoint, one transaction per batch.

Each batch is applied by `apply_batch` (rows, dead letters and the checkpoint commit
together), so a crash at any point replays from the last commit and the version rule
makes the replay harmless. A batch that one record's content makes fail is split until
that record is dead-lettered alone (`isolate.py`): a shard always moves. Reading the
next batch overlaps with applying the current one (a bounded prefetch of one batch),
because both wait on I/O.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pms_pipelines.consumer.batch import apply_batch
from pms_pipelines.db.batch_result import BatchResult
from pms_pipelines.db.checkpoints import record_last_arrival
from pms_pipelines.consumer.isolate import ISOLATED_REASON, apply_isolating
from pms_pipelines.consumer.retention import CheckpointExpired, retention_gap
from pms_pipelines.consumer.shard_probe import remember_iterator
from pms_pipelines.db.checkpoints import read_checkpoints
from pms_pipelines.read_ahead import read_ahead
from pms_pipelines.stream.reader import ReaderTail, ShardBatch, StartPosition, read_shard
from pms_pipelines.stream.records import StreamRecord

# Records per batch (one GetRecords page, one transaction). Each commit waits for a WAL
# flush, so bigger batches load faster (measured against 1,000: the loader ~9% faster,
# the 4-shard consumer ~7%; docs/benchmarks.md); 2,500 events of ~620 bytes stay under a
# shard's 2 MB/s read allowance, so one page does not hold back the next read (KCL asks
# for up to 10,000).
BATCH_LIMIT = 2500


@dataclass
class ConsumeReport:
    shard_id: str
    records: int = 0
    batches: int = 0
    loaded: int = 0
    stale: int = 0
    rejected: int = 0
    isolated: int = 0  # of the rejected: passed validation, failed their batch (isolate.py)
    loaded_by_entity: dict[str, int] = field(default_factory=dict)
    millis_behind_latest: int = 0
    checkpoint: str | None = None
    shard_ended: bool = False
    seconds: float = 0.0
    # The batch `add` saw last, for whoever measures batches (defs/consume_assets.py).
    last_results: list[BatchResult] = field(default_factory=list, repr=False)
    last_apply_seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def add(self, results: list[BatchResult], batch: ShardBatch,
            apply_seconds: float = 0.0) -> None:
        """One batch read, applied as one transaction or, if it held a record that could
        not be applied, as several (`results`, in shard order)."""
        self.last_results, self.last_apply_seconds = results, apply_seconds
        self.batches += 1
        self.records += len(batch.records)
        for result in results:
            self.loaded += result.loaded
            self.stale += result.stale
            self.rejected += result.rejected
            for outcome in result.outcomes:
                if outcome.outcome == "loaded" and outcome.event is not None:
                    entity = outcome.event.entity
                    self.loaded_by_entity[entity] = self.loaded_by_entity.get(entity, 0) + 1
                elif outcome.reason and outcome.reason.startswith(ISOLATED_REASON):
                    self.isolated += 1
        self.millis_behind_latest = batch.millis_behind_latest
        self.checkpoint = results[-1].checkpoint
        self.shard_ended = self.shard_ended or batch.shard_ended


def consume_shard(
    kinesis: Any,
    conn: Any,
    stream: str,
    shard_id: str,
    *,
    max_records: int = 50_000,
    batch_limit: int = BATCH_LIMIT,
    run_id: str | None = None,
    on_batch: Callable[[ConsumeReport], None] | None = None,
    before_commit: Callable[[Any, BatchResult], None] | None = None,
    linger_s: float = 0.0,
    max_seconds: float | None = None,
) -> ConsumeReport:
    """Apply the shard's records after its checkpoint until caught up, ended or at
    `max_records`; returns what was done. Raises on any error after the last commit.
    Once caught up it stays on the shard for `linger_s` without a record, applying what
    arrives meanwhile within a second, but lingers no more once `max_seconds` have
    passed (the run ends, its work shows, the sensor starts the next).

    `before_commit(conn, result)` runs inside each batch's transaction (the lake sender)."""
    lake_hook = None if before_commit is None else functools.partial(before_commit, conn)

    def hook(result: BatchResult) -> None:  # the last arrival time, with the checkpoint
        arrived = [o.record.arrived_at for o in result.outcomes if o.record.arrived_at]
        if arrived:
            record_last_arrival(conn, stream, shard_id, max(arrived))
        if lake_hook is not None:
            lake_hook(result)

    def apply(records: Sequence[StreamRecord], expected: str | None, shard_ended: bool,
              refused: Mapping[str, str] | None) -> BatchResult:
        return apply_batch(conn, stream=stream, shard_id=shard_id, records=records,
                           expected_checkpoint=expected, shard_ended=shard_ended,
                           run_id=run_id, before_commit=hook, refused=refused)

    started = time.monotonic()
    report = ConsumeReport(shard_id)
    checkpoint = read_checkpoints(conn, stream).get(shard_id)
    conn.commit()
    if checkpoint is not None and checkpoint.shard_ended:
        report.shard_ended = True
        report.checkpoint = checkpoint.sequence_number
        return report
    position = StartPosition.after(checkpoint.sequence_number if checkpoint else None)
    expected = checkpoint.sequence_number if checkpoint else None
    gap = retention_gap(kinesis, conn, stream, shard_id) if checkpoint else None
    tail = ReaderTail()
    batches = read_shard(
        kinesis, stream, shard_id, position, batch_limit=batch_limit, max_records=max_records,
        tail=tail, linger_s=linger_s,
        until=None if max_seconds is None else started + max_seconds,
    )
    for batch in read_ahead(batches, "shard-reader"):
        if gap is not None and batch.records:  # only when there is something after it
            raise CheckpointExpired(gap)
        applying = time.monotonic()
        results = apply_isolating(apply, batch.records, expected, batch.shard_ended)
        expected = results[-1].checkpoint
        report.add(results, batch, time.monotonic() - applying)
        report.seconds = time.monotonic() - started
        if on_batch is not None:
            on_batch(report)
    if tail.iterator is not None and tail.issued_at is not None:  # the sensor's next probe
        remember_iterator(conn, stream, shard_id, tail.after_sequence, tail.iterator,
                          tail.issued_at)
        conn.commit()
    report.seconds = time.monotonic() - started
    return report
