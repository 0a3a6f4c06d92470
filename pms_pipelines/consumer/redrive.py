"""Re-drive dead letters after a fix: `python -m pms_pipelines.consumer.redrive`.

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

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

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
    repair: Callable[[bytes], bytes] | None = None,
    limit: int = 10_000,
    dry_run: bool = False,
) -> RedriveReport:
    """Re-apply pending consume-stage dead letters (all, or those in `ids`), oldest first."""
    report = RedriveReport()
    with conn.transaction():
        letters = [
            letter for letter in list_dead_letters(conn, stage="consume", limit=limit)
            if ids is None or letter.id in set(ids)
        ]
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


def main(argv: list[str] | None = None) -> int:
    from pms_pipelines.db.connection import connect, database_url

    parser = argparse.ArgumentParser(
        prog="python -m pms_pipelines.consumer.redrive",
        description="Re-apply pending consume-stage dead letters with the current code.",
    )
    parser.add_argument("--id", type=int, action="append", help="dead letter id (repeatable)")
    parser.add_argument("--limit", type=int, default=10_000)
    parser.add_argument("--dry-run", action="store_true",
                        help="only say which would now load and which are still invalid")
    args = parser.parse_args(argv)
    with connect(database_url(), application_name="pms-redrive") as conn:
        report = redrive(conn, ids=args.id, limit=args.limit, dry_run=args.dry_run)
    for letter_id, reason in report.still_invalid:
        print(f"still invalid: dead letter {letter_id}: {reason}")
    verb = "would re-drive" if args.dry_run else "re-drove"
    print(f"{report.examined} pending examined; {verb} {len(report.redriven_ids)} "
          f"({report.loaded} loaded, {report.stale} stale); "
          f"{len(report.still_invalid)} still invalid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
