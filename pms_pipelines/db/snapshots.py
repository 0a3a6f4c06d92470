"""The ids a full pull saw, per (pms, agency, entity): diffed with the next full pull to
emit deletes for providers that never say a record is gone."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg


def previous_snapshot_ids(
    conn: psycopg.Connection, pms: str, agency_id: str, entity: str
) -> set[str]:
    rows = conn.execute(
        "SELECT source_id FROM ingest.pull_snapshot "
        "WHERE pms = %s AND agency_id = %s AND entity = %s",
        (pms, agency_id, entity),
    ).fetchall()
    return {row[0] for row in rows}


def replace_snapshot(
    conn: psycopg.Connection, pms: str, agency_id: str, entity: str, source_ids: Iterable[str]
) -> None:
    """Make `source_ids` the snapshot, in the caller's transaction."""
    conn.execute(
        "DELETE FROM ingest.pull_snapshot WHERE pms = %s AND agency_id = %s AND entity = %s",
        (pms, agency_id, entity),
    )
    conn.execute(
        "INSERT INTO ingest.pull_snapshot (pms, agency_id, entity, source_id) "
        "SELECT %s, %s, %s, id FROM unnest(%s::text[]) AS id ON CONFLICT DO NOTHING",
        (pms, agency_id, entity, sorted(set(source_ids))),
    )
