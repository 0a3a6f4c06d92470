"""What a batch of stored webhook notices asks one agency's pulls to do, per entity:
the ids to read by kind (kit/webhooks.py), and the own ids to publish a delete for.
Notices are taken in the order they were received: an id's last notice decides whether
it is read or deleted (a record deleted, then created again, is read)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pms_pipelines.integrations.kit.webhooks import OWN_ID


@dataclass
class EntityWork:
    targets: dict[str, set[str]] = field(default_factory=dict)  # kind -> ids to read
    deletes: set[str] = field(default_factory=set)

    def frozen_targets(self) -> dict[str, frozenset[str]]:
        return {kind: frozenset(ids) for kind, ids in self.targets.items() if ids}


def plan(notice_targets: Iterable[Iterable[Mapping[str, Any]]]) -> dict[str, EntityWork]:
    """Entity -> its work, from each notice's targets (in the order received)."""
    work: dict[str, EntityWork] = {}
    for targets in notice_targets:
        for target in targets:
            entity, kind, op = target["entity"], target["kind"], target["op"]
            todo = work.setdefault(entity, EntityWork())
            for source_id in target["ids"]:
                if op == "delete" and kind == OWN_ID:
                    todo.targets.get(OWN_ID, set()).discard(source_id)
                    todo.deletes.add(source_id)
                else:
                    todo.targets.setdefault(kind, set()).add(source_id)
                    if kind == OWN_ID:
                        todo.deletes.discard(source_id)
    return work
