"""Re-drive dead letters after a fix: `python -m pms_pipelines.ops redrive` (also the
Dagster job `ops_redrive_dead_letters`).

A record the consumer rejected stays in `ingest.dead_letter` with its reason and its
original bytes. Once the cause is fixed (a consumer release that accepts what it
wrongly refused, or a `repair` function that rewrites the bytes), re-driving decodes
each pending consume-stage dead letter again with the current code and, in one
transaction per call: applies the events that are now valid under the version rule
(an event older than the stored row changes nothing, so a re-drive is always safe),
and marks those dead letters re-driven (kept, never deleted). Letters still invalid
stay pending with their reason. Pull-stage dead letters hold provider records, not
events: they come back through the next full pull of their agency, not from here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from pms_pipelines.canonical.model import Event
from pms_pipelines.consumer.decode import InvalidEvent, decode_event
from pms_pipelines.db.dead_letters import DeadLetter, list_dead_letters, mark_redriven
from pms_pipelines.db.loader import apply_events


@dataclass
class RedriveReport:
    examined: int = 0
    loaded: int = 0  # applied and newer than the stored row
    stale: int = 0  # valid now, but the table already holds a newer version
    still_invalid: list[tuple[int, str]] = field(default_factory=list)  # (id, reason)
    redriven_ids: list[int] = field(default_factory=list)


def redrive(
    conn: psycopg.Connection,
    *,
    ids: Sequence[int] | None = None,
    reason_contains: str | None = None,
    received_after: datetime | None = None,
    received_before: datetime | None = None,
    repair: Callable[[bytes], bytes] | None = None,
    limit: int = 10_000,
    dry_run: bool = False,
) -> RedriveReport:
    """Re-apply pending consume-stage dead letters, oldest first, up to `limit`: all, or
    those in `ids`, with a reason containing `reason_contains`, received in
    [`received_after`, `received_before`)."""
    report = RedriveReport()
    with conn.transaction():
        letters = list_dead_letters(
            conn, stage="consume", limit=limit, ids=ids, reason_contains=reason_contains,
            received_after=received_after, received_before=received_before,
        )
        report.examined = len(letters)
        valid: list[tuple[DeadLetter, Event]] = []
        for letter in letters:
            try:
                raw = repair(letter.raw) if repair is not None else letter.raw
                valid.append((letter, decode_event(raw)))
            except InvalidEvent as err:
                report.still_invalid.append((letter.id or 0, err.reason))
        if dry_run:
            report.redriven_ids = [letter.id or 0 for letter, _ in valid]
            return report
        outcomes = apply_events(conn, [event for _, event in valid])
        report.loaded = outcomes.count("loaded")
        report.stale = outcomes.count("stale")
        report.redriven_ids = [letter.id or 0 for letter, _ in valid]
        mark_redriven(conn, report.redriven_ids)
    return report

