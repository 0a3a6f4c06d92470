"""Pull freshness: per PMS entity, the enabled agencies whose last successful pull is
older than the window.

The source is `ingest.pull_watermark`, not Dagster's materialization history: a row's
`updated_at` is written in the transaction that makes a pull count (after its events
are published), whoever launched it (schedule, backfill, a re-sync from a shell); the
agency registry sits in the same database, so an enabled agency that was never pulled
shows up by one join; and one indexed query covers every agency, where the event log
would need a query per dynamic partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pms_pipelines.health.outcome import ERROR, Outcome, listing, when


@dataclass(frozen=True)
class EntityFreshness:
    entity: str
    agency_id: str
    last_success: datetime | None
    since: datetime  # the later of the last success and the (re-)registration
    late: bool


def entity_freshness(
    conn: Any, pms: str, entities: Sequence[str], window: timedelta, now: datetime
) -> list[EntityFreshness]:
    """Per entity and enabled agency of `pms`, whether it is late. An agency's clock
    starts at its last successful pull, or at its registration (or re-enabling) when that
    is later, so a new agency gets one window for its first pull."""
    rows = conn.execute(
        "SELECT e.entity, a.agency_id, w.updated_at, "
        "GREATEST(w.updated_at, a.updated_at) AS since "
        "FROM ingest.agency a CROSS JOIN unnest(%s::text[]) AS e(entity) "
        "LEFT JOIN ingest.pull_watermark w "
        "ON w.pms = a.pms AND w.agency_id = a.agency_id AND w.entity = e.entity "
        "WHERE a.pms = %s AND a.enabled ORDER BY e.entity, since, a.agency_id",
        (list(entities), pms),
    ).fetchall()
    conn.commit()
    return [EntityFreshness(entity, agency, last, since, late=since < now - window)
            for entity, agency, last, since in rows]


def pull_freshness(
    conn: Any, pms: str, entities: Sequence[str], window: timedelta, now: datetime
) -> dict[str, Outcome]:
    """One outcome per entity: fails (ERROR) while an agency is late (`entity_freshness`)."""
    facts = entity_freshness(conn, pms, entities, window, now)
    outcomes = {}
    for entity in entities:
        agencies = [f for f in facts if f.entity == entity]
        late = [(f.agency_id, f.last_success) for f in agencies if f.late]
        lines = [
            f"{agency}: last success {when(last)}"
            + ("" if last is None else f" ({(now - last).total_seconds() / 60:.0f} min ago)")
            for agency, last in late
        ]
        successes = [f.last_success for f in agencies if f.last_success is not None]
        outcomes[entity] = Outcome(
            passed=not late,
            severity=ERROR,
            description=(
                f"{len(late)} of {len(agencies)} {pms} agencies have no successful {entity} "
                f"pull in the last {window.total_seconds() / 60:.0f} min"
                if late else
                f"every one of {len(agencies)} enabled {pms} agencies pulled {entity} within "
                f"{window.total_seconds() / 60:.0f} min"
                if agencies else f"no enabled {pms} agency"
            ),
            metadata={
                "window_s": int(window.total_seconds()),
                "agencies": len(agencies),
                "late_agencies": len(late),
                "oldest_success_age_s": round(
                    (now - min(successes)).total_seconds(), 1) if successes else 0.0,
                "late": listing(lines, limit=20),
            },
        )
    return outcomes
