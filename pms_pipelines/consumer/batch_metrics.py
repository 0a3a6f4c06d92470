"""A consume batch's CloudWatch metrics: what it applied, found stale and dead-lettered
per PMS (and entity), how long its oldest record waited from arrival on the stream to
the commit, and how long applying it took — one EMF line per kind (metrics/names.py).

The PMS dimension comes from the event itself, which a hostile producer could vary at
will; each new value is a billed CloudWatch metric, so past `MAX_PMS_VALUES` distinct
names in one process the rest are counted as 'other'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pms_pipelines.db.batch_result import BatchResult
from pms_pipelines.metrics import names
from pms_pipelines.metrics.emf import emit

MAX_PMS_VALUES = 32
UNKNOWN, OTHER = "unknown", "other"
_seen_pms: set[str] = set()


def _pms(source: str | None) -> str:
    if source is None:
        return UNKNOWN
    if source not in _seen_pms and len(_seen_pms) >= MAX_PMS_VALUES:
        return OTHER
    _seen_pms.add(source)
    return source


@dataclass
class BatchStats:
    records: int = 0
    applied: Counter[tuple[str, str]] = field(default_factory=Counter)  # (PMS, entity)
    stale: Counter[str] = field(default_factory=Counter)
    dead_lettered: Counter[str] = field(default_factory=Counter)
    oldest_arrival: datetime | None = None
    committed_at: datetime | None = None
    seconds: float = 0.0


def batch_stats(results: Sequence[BatchResult], seconds: float,
                committed_at: datetime) -> BatchStats:
    stats = BatchStats(seconds=seconds, committed_at=committed_at)
    for result in results:
        for outcome in result.outcomes:
            stats.records += 1
            source = outcome.event.source if outcome.event is not None else None
            if outcome.outcome == "loaded" and outcome.event is not None:
                stats.applied[(_pms(source), outcome.event.entity)] += 1
            elif outcome.outcome == "stale":
                stats.stale[_pms(source)] += 1
            elif outcome.outcome == "rejected":
                stats.dead_lettered[_pms(source)] += 1
            arrived = outcome.record.arrived_at
            if arrived is not None and (stats.oldest_arrival is None
                                        or arrived < stats.oldest_arrival):
                stats.oldest_arrival = arrived
    return stats


def emit_batch(stats: BatchStats, stream: str, shard_id: str) -> None:
    """Nothing for a batch without records (a lingering read that found none)."""
    if not stats.records:
        return
    where = {"stream": stream, "shard_id": shard_id}
    timing = {names.BATCH_SECONDS: stats.seconds}
    if stats.oldest_arrival is not None and stats.committed_at is not None:
        lag = (stats.committed_at - stats.oldest_arrival).total_seconds()
        timing[names.CONSUME_LAG] = max(0.0, lag)
    emit(timing, {}, {**where, "records": stats.records})
    for (pms, entity), count in sorted(stats.applied.items()):
        emit({names.EVENTS_APPLIED: count}, {names.PMS: pms, names.ENTITY: entity}, where)
    for pms in sorted(set(stats.stale) | set(stats.dead_lettered)):
        values = {}
        if stats.stale[pms]:
            values[names.EVENTS_STALE] = stats.stale[pms]
        if stats.dead_lettered[pms]:
            values[names.EVENTS_DEAD_LETTERED] = stats.dead_lettered[pms]
        emit(values, {names.PMS: pms}, where)
