"""Which shards get a consume run now: pure rules the consumer sensor applies.

A shard is *ready* when it has not been read to its end and every parent the stream
still lists has been (so a record's older events, left in a parent after a reshard,
are always applied first). A ready shard gets a run when it has work and no run in
flight; the number of runs per tick is bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ShardInfo:
    shard_id: str
    parent_ids: tuple[str, ...]
    closed: bool  # Kinesis gave it an ending sequence number: no new writes


def shard_infos(listed: Iterable[Mapping[str, Any]]) -> list[ShardInfo]:
    """From ListShards output."""
    return [
        ShardInfo(
            shard_id=s["ShardId"],
            parent_ids=tuple(
                p for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")) if p
            ),
            closed="EndingSequenceNumber" in s.get("SequenceNumberRange", {}),
        )
        for s in listed
    ]


def ready_shards(shards: Iterable[ShardInfo], ended: set[str]) -> list[ShardInfo]:
    """Shards not yet read to their end whose listed parents all were."""
    shards = list(shards)
    listed = {s.shard_id for s in shards}
    return [
        s
        for s in shards
        if s.shard_id not in ended
        and all(p in ended or p not in listed for p in s.parent_ids)
    ]


def plan_runs(
    ready: Iterable[ShardInfo],
    in_flight: set[str],
    has_work: Callable[[ShardInfo], bool],
    max_runs: int,
) -> list[str]:
    """Shard ids to start a run for: ready, idle, with work; at most `max_runs`."""
    planned: list[str] = []
    for shard in ready:
        if len(planned) >= max_runs:
            break
        if shard.shard_id in in_flight:
            continue
        if has_work(shard):
            planned.append(shard.shard_id)
    return planned
