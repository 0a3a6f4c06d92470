"""The ids full pulls saw, per (pms, agency, entity): diffed with the next full pull to
emit deletes for providers that never say a record is gone.

An id missing from one full pull is only a suspect (`missing_since` is set): offset
paging over a list that changes during the pull can skip a live record once. It is
deleted when the next full pull misses it too, and cleared if it shows up again.

Each id also keeps the event id last published for it (`event_id`, a hash of the key
and the content), full pulls and incremental ones alike: a pull does not publish an
event whose id is the one last published for its key. An id only ever rejected keeps
NULL (or what was published before the rejection).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import psycopg


@dataclass(frozen=True)
class SnapshotDiff:
    deleted: set[str]  # missed twice in a row: publish a delete
    suspects: set[str]  # missed once: keep watching


def previous_snapshot(
    conn: psycopg.Connection, pms: str, agency_id: str, entity: str
) -> dict[str, datetime | None]:
    """Each known id and when a full pull first missed it (None: seen last time)."""
    rows = conn.execute(
        "SELECT source_id, missing_since FROM ingest.pull_snapshot "
        "WHERE pms = %s AND agency_id = %s AND entity = %s",
        (pms, agency_id, entity),
    ).fetchall()
    return {row[0]: row[1] for row in rows}


def published_events(
    conn: psycopg.Connection, pms: str, agency_id: str, entity: str
) -> dict[str, str]:
    """Each known id and the event id last published for it (ids with none left out)."""
    rows = conn.execute(
        "SELECT source_id, event_id FROM ingest.pull_snapshot "
        "WHERE pms = %s AND agency_id = %s AND entity = %s AND event_id IS NOT NULL",
        (pms, agency_id, entity),
    ).fetchall()
    return {row[0]: row[1] for row in rows}


def diff_snapshot(previous: dict[str, datetime | None], seen: set[str]) -> SnapshotDiff:
    vanished = previous.keys() - seen
    deleted = {source_id for source_id in vanished if previous[source_id] is not None}
    return SnapshotDiff(deleted=deleted, suspects=vanished - deleted)


def replace_snapshot(
    conn: psycopg.Connection,
    pms: str,
    agency_id: str,
    entity: str,
    seen: Iterable[str],
    suspects: Iterable[str] = (),
    *,
    now: datetime | None = None,
    published: Mapping[str, str] | None = None,
) -> None:
    """Make `seen` (present) and `suspects` (missed once, since `now` unless already
    missing) the snapshot, in the caller's transaction. `published` holds the event id
    this pull published (or found unchanged) per id; an id without one keeps its last."""
    key = (pms, agency_id, entity)
    missing_before = {
        source_id: since
        for source_id, since in previous_snapshot(conn, *key).items()
        if since is not None
    }
    last = {**published_events(conn, *key), **(published or {})}
    conn.execute(
        "DELETE FROM ingest.pull_snapshot WHERE pms = %s AND agency_id = %s AND entity = %s", key
    )
    seen = sorted(set(seen))
    suspects = sorted(set(suspects) - set(seen))
    conn.execute(
        "INSERT INTO ingest.pull_snapshot "
        "(pms, agency_id, entity, source_id, missing_since, event_id) "
        "SELECT %s, %s, %s, id, since, event FROM "
        "unnest(%s::text[], %s::timestamptz[], %s::text[]) AS s(id, since, event)",
        (
            *key,
            seen + suspects,
            [None] * len(seen) + [missing_before.get(s, now) for s in suspects],
            [last.get(s) for s in seen + suspects],
        ),
    )


def mark_seen(
    conn: psycopg.Connection, pms: str, agency_id: str, entity: str, seen: Iterable[str],
    *, published: Mapping[str, str] | None = None,
) -> None:
    """Add ids an incremental pull saw: a record created and deleted between two full
    pulls must still be in the snapshot for its delete to be found. `published` as for
    `replace_snapshot`."""
    seen = sorted(set(seen))
    published = published or {}
    conn.execute(
        "INSERT INTO ingest.pull_snapshot AS t (pms, agency_id, entity, source_id, event_id) "
        "SELECT %s, %s, %s, id, event FROM unnest(%s::text[], %s::text[]) AS s(id, event) "
        "ON CONFLICT (pms, agency_id, entity, source_id) DO UPDATE SET missing_since = NULL, "
        "event_id = COALESCE(EXCLUDED.event_id, t.event_id)",
        (pms, agency_id, entity, seen, [published.get(s) for s in seen]),
    )


def forget(conn: psycopg.Connection, pms: str, agency_id: str, entity: str,
           ids: Iterable[str]) -> None:
    """Drop ids whose delete was published, in the caller's transaction."""
    conn.execute(
        "DELETE FROM ingest.pull_snapshot WHERE pms = %s AND agency_id = %s AND entity = %s "
        "AND source_id = ANY(%s)", (pms, agency_id, entity, list(ids)))
