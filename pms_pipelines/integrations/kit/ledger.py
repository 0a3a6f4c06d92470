"""The account of one pull: every record read from its entity's own collections either
became an event or a rejection, or was skipped for a reason the feed declared.

A `Resource` declares which canonical entities its records are (`holds`); the client
counts each record it reads into the ledger under those entities, so a join's look-up
(Buildium rents for a tenancy, Reapit properties for a tenancy's currency) is not one of
the pulled entity's records. A feed that does not turn a record it read into an
observation says why (`skip`): a contact without the role asked for, a tenancy older
than the watermark, a record read twice. What is left over is a record that vanished:
`unaccounted` names it, the pull's report shows it, and the vendor-spec fuzz proves it
is zero for every integration under any spec-valid answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

READ_TWICE = "read twice (same id)"


@dataclass
class PullLedger:
    read: Counter[str] = field(default_factory=Counter)  # records read, per entity held
    skipped: Counter[str] = field(default_factory=Counter)  # per declared reason

    def count_read(self, entities: Iterable[str], records: int) -> None:
        for entity in entities:
            self.read[entity] += records

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def unaccounted(self, entity: str, produced: int) -> int:
        """Records of `entity` read but neither produced (events and rejections) nor
        skipped with a reason; negative if more were produced than read."""
        return self.read[entity] - produced - sum(self.skipped.values())
