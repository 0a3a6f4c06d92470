"""The consumer's lake sender: called inside each batch's transaction, before its commit.

It delivers one line per handled event to Firehose, then adds the batch's counts per
(day, entity, outcome) to Postgres in the same transaction. Delivery first: a failed
delivery rolls the batch back (it is read again), and the counts row is locked only for
the moment before the commit. A crash after delivery and before the commit sends the
batch again on replay; the compaction removes that duplicate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pms_pipelines.db.batch_result import BatchResult
from pms_pipelines.db.lake_counts import add_handled_counts
from pms_pipelines.lake.handled import handled_lines, line_entity
from pms_pipelines.stream.firehose import DeliveryStats, deliver_records


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LakeSink:
    firehose: Any
    delivery_stream: str
    stream: str
    run_id: str | None
    clock: Callable[[], datetime] = _utc_now
    stats: DeliveryStats = field(default_factory=DeliveryStats)

    def __call__(self, conn: Any, result: BatchResult) -> None:
        if not result.outcomes:
            return
        consumed_at = self.clock().astimezone(UTC)
        lines = handled_lines(
            result, stream=self.stream, run_id=self.run_id, consumed_at=consumed_at
        )
        self.stats.merge(deliver_records(self.firehose, self.delivery_stream, lines))
        counts = Counter(
            (consumed_at.date(), line_entity(o), o.outcome) for o in result.outcomes
        )
        add_handled_counts(conn, result.outcomes[0].record.shard_id, counts)
