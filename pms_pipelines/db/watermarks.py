"""Incremental-pull watermarks per (pms, agency, entity).

Advanced only after a pull's events are durably published, and never backwards, so a
slow run finishing late cannot rewind it and make the next pull re-read what is done.
"""

from __future__ import annotations

from datetime import datetime

import psycopg


def read_pull_state(
    conn: psycopg.Connection, pms: str, agency_id: str, entity: str
) -> tuple[datetime | None, str | None]:
    """The stored watermark and the vendor change marker (kit/cursor.py) the last
    successful pull left; (None, None) before the first one."""
    row = conn.execute(
        "SELECT watermark, change_cursor FROM ingest.pull_watermark "
        "WHERE pms = %s AND agency_id = %s AND entity = %s",
        (pms, agency_id, entity),
    ).fetchone()
    return (None, None) if row is None else (row[0], row[1])


def read_watermark(
    conn: psycopg.Connection, pms: str, agency_id: str, entity: str
) -> datetime | None:
    """The stored watermark; None before the first successful pull."""
    return read_pull_state(conn, pms, agency_id, entity)[0]


def read_change_cursor(
    conn: psycopg.Connection, pms: str, agency_id: str, entity: str
) -> str | None:
    """The vendor change marker the last successful pull left."""
    return read_pull_state(conn, pms, agency_id, entity)[1]


def advance_watermark(
    conn: psycopg.Connection, pms: str, agency_id: str, entity: str, watermark: datetime,
    change_cursor: str | None = None, found_changes: bool = False,
) -> datetime:
    """Store `watermark` unless the stored one is later; return the stored value. A
    `change_cursor` (what the pull found) is stored with it, unless a later pull's
    watermark is already stored; None keeps the stored one. `found_changes`: the pull
    published something (its watermark is then when it did)."""
    if watermark.tzinfo is None:
        raise ValueError("a watermark must carry a timezone")
    row = conn.execute(
        "INSERT INTO ingest.pull_watermark AS w (pms, agency_id, entity, watermark, "
        "change_cursor, found_changes_at) VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (pms, agency_id, entity) DO UPDATE SET "
        "watermark = GREATEST(w.watermark, EXCLUDED.watermark), "
        "change_cursor = CASE WHEN EXCLUDED.watermark >= w.watermark "
        "THEN COALESCE(EXCLUDED.change_cursor, w.change_cursor) ELSE w.change_cursor END, "
        "found_changes_at = GREATEST(w.found_changes_at, EXCLUDED.found_changes_at), "
        "updated_at = now() RETURNING watermark",
        (pms, agency_id, entity, watermark, change_cursor,
         watermark if found_changes else None),
    ).fetchone()
    assert row is not None
    return row[0]


def oldest_pulls(conn: psycopg.Connection, pms: str) -> dict[str, datetime]:
    """Per agency of `pms`, when the least recently pulled of its entities last had a
    successful (full or incremental) pull."""
    rows = conn.execute(
        "SELECT agency_id, min(updated_at) FROM ingest.pull_watermark WHERE pms = %s "
        "GROUP BY agency_id", (pms,)).fetchall()
    return dict(rows)
