"""What applying one batch of stream records did: each record's outcome and the
checkpoint the batch's transaction left. The consumer makes it; the lake sender, the
run's report and the tests read it."""

from __future__ import annotations

from dataclasses import dataclass

from pms_pipelines.canonical.model import Event
from pms_pipelines.stream.records import StreamRecord


@dataclass(frozen=True)
class Outcome:
    record: StreamRecord
    outcome: str  # 'loaded' | 'stale' | 'rejected'
    reason: str | None
    event: Event | None


@dataclass(frozen=True)
class BatchResult:
    outcomes: list[Outcome]
    loaded: int
    stale: int
    rejected: int
    checkpoint: str | None  # None only for an empty batch on a never-read shard
    replay_generation: int = 0  # of the shard's checkpoint: the lake tells replays apart
