"""Loads canonical events into the `pms` tables under the version rule.

The version rule makes replays harmless: an event whose version is not newer than the
stored row's changes nothing ('stale'), and neither does one whose event id (a hash of
its key and content) is the row's own: the same data and deletion state, so the row is
not rewritten and `last_updated_at` moves only when something changed. A delete keeps the row's data and sets
`deleted_at`; when the key was never seen it leaves a tombstone, so an older upsert
arriving late stays deleted. A newer upsert revives a deleted row. Links (tenancy →
tenants, property → landlords) are replaced whole by their owner's winning event.

This is the consumer's hot path, so each table gets a few set-based statements per
batch, never one statement per event: the rows go by binary `COPY` into a session temp
table (emptied at each commit), then one `INSERT … SELECT … ON CONFLICT` applies them.
Everything runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from pms_pipelines.canonical.model import Event
from pms_pipelines.db.rows import ENVELOPE_COLUMNS, LAYOUTS, Link, TableLayout, envelope_values

Key = tuple[str, str, str]  # (source, agency_id, source_id) within one entity
Columns = Sequence[tuple[str, str]]  # (name, SQL type)

_KEY_NAMES = ("source", "agency_id", "source_id")
_MEMBER_COLUMNS = (("source", "text"), ("agency_id", "text"), ("owner", "text"),
                   ("member", "text"), ("position", "integer"))


def _member_columns(link: Link) -> Columns:
    return (*_MEMBER_COLUMNS, *link.detail_columns)


def apply_events(conn: psycopg.Connection, events: Sequence[Event]) -> list[str]:
    """Apply `events`; return 'loaded' or 'stale' for each, in the same order.

    Within a batch only the newest event per key is applied, except that when it is a
    delete the newest upsert before it is applied first: a deleted row then keeps its
    last data whether or not the upsert and the delete shared a batch.
    """
    if not events:
        return []
    if conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE:
        # Each statement would commit alone, and the commit empties the staged rows.
        raise RuntimeError("apply_events needs a transaction (the stages empty at commit)")
    conn.execute(_CREATE_STAGES)
    keys = [(event.entity, _key(event)) for event in events]
    newest, upsert_before_delete = _chosen_per_key(events, keys)
    loaded = _apply_chosen(conn, events, keys, upsert_before_delete)
    loaded |= _apply_chosen(conn, events, keys, newest)
    return ["loaded" if i in loaded else "stale" for i in range(len(events))]


def _apply_chosen(conn: psycopg.Connection, events: Sequence[Event],
                  keys: Sequence[tuple[str, Key]], chosen: list[int]) -> set[int]:
    """Apply events at most one per key; return the indexes of those that won."""
    loaded: set[int] = set()
    for entity, layout in LAYOUTS.items():
        mine = [i for i in chosen if keys[i][0] == entity]
        if not mine:
            continue
        # Key order makes concurrent batches lock rows in the same order: no deadlocks
        # (a freshly filled temp table is read back in the order it was written).
        mine.sort(key=lambda i: keys[i][1])
        won: dict[Key, bool] = {}
        for op, apply in (("upsert", _upsert), ("delete", _delete)):
            applied = [i for i in mine if events[i].op == op]
            if not applied:
                continue
            won_here = apply(conn, layout, [events[i] for i in applied])
            won |= won_here
            if layout.link is not None:
                winners = [i for i in applied if keys[i][1] in won_here]
                _replace_links(conn, layout.link, [events[i] for i in winners],
                               all_new=all(won_here[keys[i][1]] for i in winners))
        loaded.update(i for i in mine if keys[i][1] in won)
    return loaded


def _key(event: Event) -> Key:
    return (event.source, event.agency_id, event.source_id)


def _chosen_per_key(events: Sequence[Event], keys: Sequence[tuple[str, Key]],
                    ) -> tuple[list[int], list[int]]:
    """Indexes of the newest event per key (ties: the first), and, where that one is a
    delete, of the newest older upsert that arrived before it (as separate batches
    would have applied it). `keys[i]` is event i's (entity, key)."""
    newest: dict[tuple[str, Key], int] = {}
    for i, (event, k) in enumerate(zip(events, keys, strict=True)):
        if k not in newest or event.version > events[newest[k]].version:
            newest[k] = i
    if all(events[last].op == "upsert" for last in newest.values()):
        return list(newest.values()), []
    before_delete: dict[tuple[str, Key], int] = {}
    for i, (event, k) in enumerate(zip(events, keys, strict=True)):
        last = newest[k]
        if (event.op == "upsert" and events[last].op == "delete" and i < last
                and event.version < events[last].version
                and (k not in before_delete or event.version > events[before_delete[k]].version)):
            before_delete[k] = i
    return list(newest.values()), list(before_delete.values())


def _stage(table: str) -> str:
    return "load_" + table.replace(".", "_")


# Session temp tables the rows are copied into, emptied at every commit (in place) and
# after each use (a transaction can use one twice). Created when missing, so that a
# rolled-back transaction that created them costs nothing later.
_CREATE_STAGES = "; ".join(
    f"CREATE TEMP TABLE IF NOT EXISTS {_stage(table)} "
    f"({', '.join(f'{name} {sql_type}' for name, sql_type in columns)}) ON COMMIT DELETE ROWS"
    for table, columns in [
        *((layout.table, (*ENVELOPE_COLUMNS, *layout.columns)) for layout in LAYOUTS.values()),
        *((layout.link.table, _member_columns(layout.link))
          for layout in LAYOUTS.values() if layout.link),
    ]
)


def _copy(conn: psycopg.Connection, table: str, filled: Columns,
          rows: Iterable[Sequence[Any]]) -> str:
    """Binary-COPY `rows` (values of the `filled` columns, the others stay NULL) into the
    empty stage of `table`; return the stage's name. The caller's statements end with
    `DELETE FROM` it."""
    stage = _stage(table)
    names = ", ".join(name for name, _ in filled)
    with conn.cursor().copy(f"COPY {stage} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([sql_type for _, sql_type in filled])
        for row in rows:
            copy.write_row(row)
    return stage


# What the upserts return: each winning key, and whether its row is new (an insert
# leaves xmax 0; an update, which locks the row first, does not).
_RETURNING = "RETURNING t.source, t.agency_id, t.source_id, t.xmax = 0"


def _returned(cursor: psycopg.Cursor) -> dict[Key, bool]:
    """Each winning key, and whether its row was inserted (not there before)."""
    return {(row[0], row[1], row[2]): row[3] for row in cursor.fetchall()}


def _upsert(conn: psycopg.Connection, layout: TableLayout,
            events: list[Event]) -> dict[Key, bool]:
    columns = [*ENVELOPE_COLUMNS, *layout.columns]
    names = [name for name, _ in columns]
    flatten = layout.flatten
    stage = _copy(conn, layout.table, columns,
                  ((*envelope_values(e), *flatten(e.data).values()) for e in events))
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name not in _KEY_NAMES)
    sql = (
        f"INSERT INTO {layout.table} AS t ({', '.join(names)}) "
        f"SELECT {', '.join(names)} FROM {stage} "
        "ON CONFLICT (source, agency_id, source_id) DO UPDATE SET "
        f"{updates}, deleted_at = NULL, last_updated_at = now() "
        "WHERE t.version < EXCLUDED.version AND t.event_id IS DISTINCT FROM EXCLUDED.event_id "
        f"{_RETURNING}; "
        f"DELETE FROM {stage}"
    )
    return _returned(conn.execute(sql))


def _delete(conn: psycopg.Connection, layout: TableLayout,
            events: list[Event]) -> dict[Key, bool]:
    stage = _copy(conn, layout.table, ENVELOPE_COLUMNS, (envelope_values(e) for e in events))
    names = ", ".join(name for name, _ in ENVELOPE_COLUMNS)
    # deleted_at is when we observed the delete, so a replay writes the same value; a
    # newer delete of a deleted row keeps the first deletion time.
    sql = (
        f"INSERT INTO {layout.table} AS t ({names}, deleted_at) "
        f"SELECT {names}, observed_at FROM {stage} "
        "ON CONFLICT (source, agency_id, source_id) DO UPDATE SET "
        "version = EXCLUDED.version, observed_at = EXCLUDED.observed_at, "
        "source_updated_at = COALESCE(EXCLUDED.source_updated_at, t.source_updated_at), "
        "event_id = EXCLUDED.event_id, deleted_at = COALESCE(t.deleted_at, EXCLUDED.deleted_at), "
        "last_updated_at = now() "
        "WHERE t.version < EXCLUDED.version AND t.event_id IS DISTINCT FROM EXCLUDED.event_id "
        f"{_RETURNING}; "
        f"DELETE FROM {stage}"
    )
    return _returned(conn.execute(sql))


def _replace_links(conn: psycopg.Connection, link: Link, owners: list[Event], *,
                   all_new: bool) -> None:
    """Drop the links of `owners` and insert those their upserts carry (none for deletes).

    Each owner stages its members, or one row with no member when it has none, so one
    staged table names both the links to drop and those to insert. An owner whose row
    was just inserted has none to drop (links are written only with their owner's row,
    and rows are never removed: a delete keeps a tombstone), so when every owner is new
    (`all_new`: a first load) the batch skips the drop, a join over the whole link table."""
    if not owners:
        return
    rows = []
    nothing = (None,) * len(link.detail_columns)
    for e in owners:
        members = () if e.data is None else link.members(e.data)
        if not members:
            rows.append((e.source, e.agency_id, e.source_id, None, None, *nothing))
        rows.extend((e.source, e.agency_id, e.source_id, member, position, *detail)
                    for position, (member, *detail) in enumerate(members))
    stage = _copy(conn, link.table, _member_columns(link), rows)
    drop = ""
    if not all_new:
        drop = (f"DELETE FROM {link.table} l USING (SELECT DISTINCT source, agency_id, owner "
                f"FROM {stage}) r WHERE l.source = r.source AND l.agency_id = r.agency_id "
                f"AND l.{link.owner_column} = r.owner; ")
    # A provider listing the same tenant twice keeps the first position.
    details = "".join(f", {name}" for name, _ in link.detail_columns)
    conn.execute(
        f"{drop}INSERT INTO {link.table} (source, agency_id, {link.owner_column}, "
        f"{link.member_column}, position{details}) "
        f"SELECT source, agency_id, owner, member, position{details} FROM {stage} "
        "WHERE member IS NOT NULL ORDER BY position ON CONFLICT DO NOTHING; "
        f"DELETE FROM {stage}"
    )
