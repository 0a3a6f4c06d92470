"""What a batch of stored webhook notices asks one agency's pulls to do, per entity:
the ids to read by kind (kit/webhooks.py), and the own ids a delete notice named.

Every id named is read, a deleted one too: the PMS's answer, not the order in which
notices arrived (a vendor's late retry of an update can come after the delete), says
what is true now. An id named by a delete notice that the read does not find is
deleted; one it finds is published as it is (deleted, then created again)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pms_pipelines.integrations.kit.webhooks import OWN_ID


@dataclass
class EntityWork:
    targets: dict[str, set[str]] = field(default_factory=dict)  # kind -> ids to read
    deletes: set[str] = field(default_factory=set)  # own ids named by a delete notice

    def frozen_targets(self) -> dict[str, frozenset[str]]:
        return {kind: frozenset(ids) for kind, ids in self.targets.items() if ids}


def plan(notice_targets: Iterable[Iterable[Mapping[str, Any]]]) -> dict[str, EntityWork]:
    """Entity -> its work, from each notice's targets."""
    work: dict[str, EntityWork] = {}
    for targets in notice_targets:
        for target in targets:
            entity, kind, op = target["entity"], target["kind"], target["op"]
            todo = work.setdefault(entity, EntityWork())
            todo.targets.setdefault(kind, set()).update(target["ids"])
            if op == "delete" and kind == OWN_ID:
                todo.deletes.update(target["ids"])
    return work
