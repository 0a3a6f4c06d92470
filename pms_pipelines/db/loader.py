"""Loads canonical events into the `pms` tables under the version rule.

The version rule makes replays harmless: an event whose version is not newer than the
stored row's changes nothing ('stale'). A delete keeps the row's data and sets
`deleted_at`; when the key was never seen it leaves a tombstone, so an older upsert
arriving late stays deleted. A newer upsert revives a deleted row. Links (tenancy →
tenants, property → landlords) are replaced whole by their owner's winning event.

This is the consumer's hot path, so each table gets a few set-based statements per
batch (rows travel as one `jsonb` array), never one statement per event. Everything
runs in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg

from pms_pipelines.canonical.model import Event
from pms_pipelines.db.rows import LAYOUTS, TableLayout, envelope_row

Key = tuple[str, str, str]  # (source, agency_id, source_id) within one entity

_ENVELOPE_COLUMNS = (
    ("source", "text"), ("agency_id", "text"), ("source_id", "text"), ("version", "bigint"),
    ("observed_at", "timestamptz"), ("source_updated_at", "timestamptz"), ("event_id", "text"),
)


def apply_events(conn: psycopg.Connection, events: Sequence[Event]) -> list[str]:
    """Apply `events`; return 'loaded' or 'stale' for each, in the same order.

    Within a batch only the newest event per key is applied, except that when it is a
    delete the newest upsert before it is applied first: a deleted row then keeps its
    last data whether or not the upsert and the delete shared a batch.
    """
    newest, upsert_before_delete = _chosen_per_key(events)
    loaded = _apply_chosen(conn, events, upsert_before_delete)
    loaded |= _apply_chosen(conn, events, newest)
    return ["loaded" if i in loaded else "stale" for i in range(len(events))]


def _apply_chosen(conn: psycopg.Connection, events: Sequence[Event], chosen: list[int]) -> set[int]:
    """Apply events at most one per key; return the indexes of those that won."""
    loaded: set[int] = set()
    for entity, layout in LAYOUTS.items():
        mine = [i for i in chosen if events[i].entity == entity]
        if not mine:
            continue
        # Key order makes concurrent batches lock rows in the same order: no deadlocks.
        mine.sort(key=lambda i: _key(events[i]))
        upserts = [events[i] for i in mine if events[i].op == "upsert"]
        deletes = [events[i] for i in mine if events[i].op == "delete"]
        won: set[Key] = set()
        if upserts:
            won_upserts = _upsert(conn, layout, upserts)
            won |= won_upserts
            if layout.link is not None:
                _replace_links(conn, layout, [e for e in upserts if _key(e) in won_upserts])
        if deletes:
            won_deletes = _delete(conn, layout, deletes)
            won |= won_deletes
            if layout.link is not None:
                _replace_links(conn, layout, [e for e in deletes if _key(e) in won_deletes])
        loaded.update(i for i in mine if _key(events[i]) in won)
    return loaded


def _key(event: Event) -> Key:
    return (event.source, event.agency_id, event.source_id)


def _chosen_per_key(events: Sequence[Event]) -> tuple[list[int], list[int]]:
    """Indexes of the newest event per key (ties: the first), and, where that one is a
    delete, of the newest older upsert that arrived before it (as separate batches
    would have applied it)."""
    newest: dict[tuple[str, Key], int] = {}
    for i, event in enumerate(events):
        k = (event.entity, _key(event))
        if k not in newest or event.version > events[newest[k]].version:
            newest[k] = i
    before_delete: dict[tuple[str, Key], int] = {}
    for i, event in enumerate(events):
        k = (event.entity, _key(event))
        last = newest[k]
        if (event.op == "upsert" and events[last].op == "delete" and i < last
                and event.version < events[last].version
                and (k not in before_delete or event.version > events[before_delete[k]].version)):
            before_delete[k] = i
    return list(newest.values()), list(before_delete.values())


def _json_value(value: object) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # exact: never through float
    raise TypeError(f"cannot send {type(value).__name__} to Postgres as JSON")


def _as_jsonb(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, default=_json_value)


def _recordset(columns: Sequence[tuple[str, str]]) -> str:
    """`jsonb_to_recordset(...)` typed by our columns, so Postgres does the conversions."""
    typed = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
    return f"jsonb_to_recordset(%s::jsonb) AS r({typed})"


def _returned_keys(cursor: psycopg.Cursor) -> set[Key]:
    return {(row[0], row[1], row[2]) for row in cursor.fetchall()}


def _upsert(conn: psycopg.Connection, layout: TableLayout, events: list[Event]) -> set[Key]:
    data_columns = [name for name, _ in layout.columns]
    columns = [name for name, _ in _ENVELOPE_COLUMNS] + data_columns
    rows = [{**envelope_row(e), **layout.flatten(e.data)} for e in events]
    updates = ", ".join(
        f"{name} = EXCLUDED.{name}" for name in columns if name not in ("source", "agency_id",
                                                                           "source_id")
    )
    sql = (
        f"INSERT INTO {layout.table} AS t ({', '.join(columns)}) "
        f"SELECT {', '.join(columns)} FROM {_recordset([*_ENVELOPE_COLUMNS, *layout.columns])} "
        "ON CONFLICT (source, agency_id, source_id) DO UPDATE SET "
        f"{updates}, deleted_at = NULL, last_updated_at = now() "
        "WHERE t.version < EXCLUDED.version "
        "RETURNING t.source, t.agency_id, t.source_id"
    )
    return _returned_keys(conn.execute(sql, (_as_jsonb(rows),)))


def _delete(conn: psycopg.Connection, layout: TableLayout, events: list[Event]) -> set[Key]:
    columns = [name for name, _ in _ENVELOPE_COLUMNS]
    rows = [envelope_row(e) for e in events]
    # deleted_at is when we observed the delete, so a replay writes the same value; a
    # newer delete of a deleted row keeps the first deletion time.
    sql = (
        f"INSERT INTO {layout.table} AS t ({', '.join(columns)}, deleted_at) "
        f"SELECT {', '.join(columns)}, observed_at FROM {_recordset(_ENVELOPE_COLUMNS)} "
        "ON CONFLICT (source, agency_id, source_id) DO UPDATE SET "
        "version = EXCLUDED.version, observed_at = EXCLUDED.observed_at, "
        "source_updated_at = COALESCE(EXCLUDED.source_updated_at, t.source_updated_at), "
        "event_id = EXCLUDED.event_id, deleted_at = COALESCE(t.deleted_at, EXCLUDED.deleted_at), "
        "last_updated_at = now() "
        "WHERE t.version < EXCLUDED.version "
        "RETURNING t.source, t.agency_id, t.source_id"
    )
    return _returned_keys(conn.execute(sql, (_as_jsonb(rows),)))


def _replace_links(conn: psycopg.Connection, layout: TableLayout, owners: list[Event]) -> None:
    """Drop the links of `owners` and insert those their upserts carry (none for deletes)."""
    link = layout.link
    if link is None or not owners:
        return
    keys = [{"source": e.source, "agency_id": e.agency_id, "source_id": e.source_id}
            for e in owners]
    key_columns = (("source", "text"), ("agency_id", "text"), ("source_id", "text"))
    conn.execute(
        f"DELETE FROM {link.table} l USING {_recordset(key_columns)} "
        f"WHERE l.source = r.source AND l.agency_id = r.agency_id "
        f"AND l.{link.owner_column} = r.source_id",
        (_as_jsonb(keys),),
    )
    members = [
        {"source": e.source, "agency_id": e.agency_id, "owner": e.source_id,
         "member": member, "position": position}
        for e in owners if e.data is not None
        for position, member in enumerate(link.members(e.data))
    ]
    if not members:
        return
    member_columns = (("source", "text"), ("agency_id", "text"), ("owner", "text"),
                      ("member", "text"), ("position", "integer"))
    # A provider listing the same tenant twice keeps the first position.
    conn.execute(
        f"INSERT INTO {link.table} (source, agency_id, {link.owner_column}, "
        f"{link.member_column}, position) "
        f"SELECT source, agency_id, owner, member, position FROM {_recordset(member_columns)} "
        "ORDER BY position ON CONFLICT DO NOTHING",
        (_as_jsonb(members),),
    )
