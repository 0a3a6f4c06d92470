"""Re-drive a selection of dead letters in chunks, so a long re-drive shows progress and
commits as it goes (one transaction per chunk, see `consumer.redrive.redrive`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pms_pipelines.consumer.redrive import RedriveReport, redrive
from pms_pipelines.db.dead_letters import list_dead_letters

CHUNK = 500


@dataclass(frozen=True)
class Selection:
    """Which pending consume-stage dead letters: all of them unless narrowed."""

    ids: Sequence[int] | None = None
    reason_contains: str | None = None
    received_after: datetime | None = None
    received_before: datetime | None = None
    limit: int = 10_000

    def __post_init__(self) -> None:
        for moment in (self.received_after, self.received_before):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("received_after and received_before need a time zone")
        if self.limit < 1:
            raise ValueError("limit must be at least 1")


def selected_ids(conn: Any, selection: Selection) -> list[int]:
    """The ids of the pending consume-stage letters the selection names, oldest first."""
    letters = list_dead_letters(
        conn, stage="consume", limit=selection.limit, ids=selection.ids,
        reason_contains=selection.reason_contains,
        received_after=selection.received_after, received_before=selection.received_before,
    )
    conn.commit()
    return [letter.id for letter in letters if letter.id is not None]


def redrive_selection(
    conn: Any,
    ids: Sequence[int],
    *,
    dry_run: bool = False,
    chunk: int = CHUNK,
    on_chunk: Callable[[RedriveReport], None] | None = None,
) -> RedriveReport:
    """Re-drive `ids` (from `selected_ids`) `chunk` at a time; the reports summed."""
    total = RedriveReport()
    for first in range(0, len(ids), chunk):
        part = list(ids[first:first + chunk])
        report = redrive(conn, ids=part, limit=len(part), dry_run=dry_run)
        total.examined += report.examined
        total.loaded += report.loaded
        total.stale += report.stale
        total.still_invalid.extend(report.still_invalid)
        total.redriven_ids.extend(report.redriven_ids)
        if on_chunk is not None:
            on_chunk(report)
    return total


def summary(report: RedriveReport, dry_run: bool) -> str:
    verb = "would re-drive" if dry_run else "re-drove"
    return (f"{report.examined} pending examined; {verb} {len(report.redriven_ids)} "
            f"({report.loaded} loaded, {report.stale} stale); "
            f"{len(report.still_invalid)} still invalid")
