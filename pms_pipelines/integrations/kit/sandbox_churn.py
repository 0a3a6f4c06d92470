"""One churn step of a sandbox, declared: which records change and how, what is added,
and what goes (deleted or archived the vendor's way, `SandboxApi.remove`). Every change
is stamped with the moment of the step, so an incremental pull sees exactly it."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pms_pipelines.integrations.kit.sandbox_api import Record
from pms_pipelines.integrations.kit.sandbox_store import AgencyStore


@dataclass(frozen=True)
class Change:
    """Change some records of `collection` that `which` picks: at most `most`, else one
    in fifty of them (at least one)."""

    collection: str
    mutate: Callable[[Record, random.Random], None]
    which: Callable[[Record], bool] = lambda record: True
    most: int | None = None


@dataclass(frozen=True)
class Gone:
    """Remove one record of `collection` that `which` picks, with probability `chance`,
    while more than `keep` such records remain."""

    collection: str
    which: Callable[[Record], bool] = lambda record: True
    chance: float = 1.0
    keep: int = 0


def churn(store: AgencyStore, rng: random.Random, now: datetime, changes: Sequence[Change],
          add: Callable[[AgencyStore, random.Random, datetime], object] | None = None,
          gone: Gone | None = None) -> dict[str, int]:
    """Apply one churn step to `store`; the counts of what changed, was added, went."""
    counts = {"changed": 0, "added": 0, "removed": 0}
    with store.lock:
        for change in changes:
            pool = [r for r in store.records[change.collection].values() if change.which(r)]
            most = change.most if change.most is not None else max(1, len(pool) // 50)
            for record in rng.sample(pool, min(most, len(pool))):
                change.mutate(record, rng)
                store.put(change.collection, record, now)
                counts["changed"] += 1
        if add is not None:
            add(store, rng, now)
            counts["added"] += 1
        if gone is not None:
            pool = [i for i, r in store.records[gone.collection].items() if gone.which(r)]
            if len(pool) > gone.keep and rng.random() < gone.chance:
                store.api.remove(store, gone.collection, rng.choice(pool), now)
                counts["removed"] += 1
    return counts
