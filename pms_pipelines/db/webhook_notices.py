"""Webhook notices, stored by the receiver before it answers 2xx and served by targeted
pulls (`ingest.webhook_notice`), and what the receiver refused or did not use, counted
(`ingest.webhook_refusal`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

Stored = Literal["stored", "duplicate", "replayed"]


@dataclass(frozen=True)
class StoredNotice:
    id: int
    pms: str
    agency_id: str
    event_name: str
    targets: list[dict[str, Any]]
    received_at: datetime


def store_notice(conn: psycopg.Connection, *, pms: str, agency_id: str, dedupe_key: str,
                 signature: str, event_name: str, targets: Sequence[dict[str, Any]],
                 body: bytes) -> tuple[Stored, int]:
    """Keep a notice (committed before returning): "stored" with its id, or, when the
    vendor's key for it is already kept, "duplicate" (a retry: a new signature, or a
    scheme without one) or "replayed" (the very delivery again) with the kept id."""
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO ingest.webhook_notice (pms, agency_id, dedupe_key, signature, "
            "event_name, targets, body) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (pms, dedupe_key) DO NOTHING RETURNING id",
            (pms, agency_id, dedupe_key, signature, event_name, Jsonb(list(targets)), body),
        ).fetchone()
        if row is not None:
            return "stored", row[0]
        kept = conn.execute(
            "SELECT id, signature FROM ingest.webhook_notice WHERE pms = %s AND dedupe_key = %s",
            (pms, dedupe_key),
        ).fetchone()
    assert kept is not None
    return ("replayed" if signature and kept[1] == signature else "duplicate"), kept[0]


def count_refusal(conn: psycopg.Connection, pms: str, outcome: str) -> None:
    """Count an answer that stored nothing (an unused event, a refused signature, ...)."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO ingest.webhook_refusal (pms, day, outcome, count) "
            "VALUES (%s, current_date, %s, 1) ON CONFLICT (pms, day, outcome) "
            "DO UPDATE SET count = ingest.webhook_refusal.count + 1",
            (pms, outcome),
        )


def refusals(conn: psycopg.Connection, pms: str | None = None,
             since: date | None = None) -> dict[tuple[str, str], int]:
    """(pms, outcome) -> count, since a day (default: all kept)."""
    rows = conn.execute(
        "SELECT pms, outcome, sum(count)::bigint FROM ingest.webhook_refusal "
        "WHERE (%(pms)s::text IS NULL OR pms = %(pms)s) "
        "AND (%(since)s::date IS NULL OR day >= %(since)s) GROUP BY pms, outcome",
        {"pms": pms, "since": since},
    ).fetchall()
    return {(p, o): n for p, o, n in rows}


def pending_agencies(conn: psycopg.Connection, limit_per_agency: int,
                     pms: str | None = None) -> dict[tuple[str, str], list[int]]:
    """(pms, agency) -> the ids of its oldest unserved notices due now (at most the
    limit; a notice whose last try failed is due at its `retry_at`)."""
    rows = conn.execute(
        "SELECT pms, agency_id, (array_agg(id ORDER BY id))[1:%s] FROM ingest.webhook_notice "
        "WHERE served_at IS NULL AND (retry_at IS NULL OR retry_at <= now()) "
        "AND (%s::text IS NULL OR pms = %s) GROUP BY pms, agency_id ORDER BY min(id)",
        (limit_per_agency, pms, pms),
    ).fetchall()
    return {(p, agency): list(ids) for p, agency, ids in rows}


def load_notices(conn: psycopg.Connection, pms: str, agency_id: str,
                 ids: Iterable[int]) -> list[StoredNotice]:
    """The unserved notices of this agency among `ids`."""
    rows = conn.execute(
        "SELECT id, pms, agency_id, event_name, targets, received_at "
        "FROM ingest.webhook_notice WHERE pms = %s AND agency_id = %s AND id = ANY(%s) "
        "AND served_at IS NULL ORDER BY id",
        (pms, agency_id, list(ids)),
    ).fetchall()
    return [StoredNotice(i, p, a, e, t if isinstance(t, list) else json.loads(t), r)
            for i, p, a, e, t, r in rows]


def mark_served(conn: psycopg.Connection, ids: Iterable[int], run_id: str,
                outcome: str = "served") -> None:
    """Take notices off the queue (served, or given up with the reason in `outcome`),
    in the caller's transaction."""
    conn.execute(
        "UPDATE ingest.webhook_notice SET served_at = now(), run_id = %s, outcome = %s "
        "WHERE id = ANY(%s) AND served_at IS NULL",
        (run_id, outcome, list(ids)),
    )


def mark_failed(conn: psycopg.Connection, ids: Iterable[int], run_id: str, error: str, *,
                max_attempts: int, backoff: timedelta) -> int:
    """Count a failed try of each notice, in the caller's transaction: it is due again
    after `backoff`, doubled per try, or given up after `max_attempts` tries (polling
    still brings the change). How many were given up."""
    cur = conn.execute(
        "UPDATE ingest.webhook_notice SET attempts = attempts + 1, last_error = %(error)s, "
        "retry_at = now() + %(backoff)s * power(2, attempts), run_id = %(run)s, "
        "served_at = CASE WHEN attempts + 1 >= %(max)s THEN now() END, "
        "outcome = CASE WHEN attempts + 1 >= %(max)s THEN 'gave up: ' || %(error)s END "
        "WHERE id = ANY(%(ids)s) AND served_at IS NULL RETURNING served_at IS NOT NULL",
        {"error": error[:2000], "backoff": backoff, "run": run_id, "max": max_attempts,
         "ids": list(ids)},
    )
    return sum(1 for (gave_up,) in cur.fetchall() if gave_up)


def purge_served(conn: psycopg.Connection, before: datetime, limit: int = 5000) -> int:
    """Delete served notices received before `before` (at most `limit`); how many. A
    notice is kept while unserved, however old: it names a change still to pull."""
    with conn.transaction():
        cur = conn.execute(
            "DELETE FROM ingest.webhook_notice WHERE id IN (SELECT id FROM "
            "ingest.webhook_notice WHERE received_at < %s AND served_at IS NOT NULL "
            "ORDER BY received_at LIMIT %s)", (before, limit))
    return cur.rowcount


def notices_since(conn: psycopg.Connection, pms: str, since: datetime) -> set[str]:
    """The agencies of `pms` that sent a notice since `since`."""
    rows = conn.execute(
        "SELECT DISTINCT agency_id FROM ingest.webhook_notice "
        "WHERE pms = %s AND received_at >= %s", (pms, since)).fetchall()
    return {agency for (agency,) in rows}
