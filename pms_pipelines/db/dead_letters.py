"""Dead letters: records we could not use, kept with the reason and their original bytes.

Stage 'consume' holds stream records that failed to decode or validate; stage 'pull'
holds provider records an integration could not map. Re-driving one (after a fix)
marks it instead of deleting it, so the history stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg

from pms_pipelines.db.storable_text import storable_text

_COLUMNS = (
    "stage, reason, raw, stream_name, shard_id, sequence_number, "
    "source, agency_id, entity, source_id"
)


@dataclass(frozen=True)
class DeadLetter:
    stage: str  # 'consume' | 'pull'
    reason: str
    raw: bytes
    stream_name: str | None = None
    shard_id: str | None = None
    sequence_number: str | None = None
    source: str | None = None
    agency_id: str | None = None
    entity: str | None = None
    source_id: str | None = None
    id: int | None = None  # set once stored
    received_at: datetime | None = None
    redriven_at: datetime | None = None


def store_dead_letters(conn: psycopg.Connection, letters: Sequence[DeadLetter]) -> list[int]:
    """Insert `letters` in the caller's transaction; return their ids in order.

    Whatever the letters' text says, the insert cannot fail on it: the raw bytes are
    `bytea`, and every text field is made storable and bounded here (storable_text.py)."""
    ids: list[int] = []
    with conn.cursor() as cur:
        for letter in letters:
            cur.execute(
                f"INSERT INTO ingest.dead_letter ({_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (letter.stage, _text(letter.reason, REASON_CHARS), bytes(letter.raw),
                 *(_text(value, KEY_CHARS) for value in (
                     letter.stream_name, letter.shard_id, letter.sequence_number,
                     letter.source, letter.agency_id, letter.entity, letter.source_id))),
            )
            row = cur.fetchone()
            assert row is not None
            ids.append(row[0])
    return ids


REASON_CHARS = 2000
KEY_CHARS = 200  # a key field longer than any valid key is cut: the raw bytes keep it


def _text(value: str | None, limit: int) -> str | None:
    return None if value is None else storable_text(str(value), limit)


def list_dead_letters(
    conn: psycopg.Connection,
    *,
    stage: str | None = None,
    include_redriven: bool = False,
    limit: int = 100,
    ids: Sequence[int] | None = None,
    reason_contains: str | None = None,
    received_after: datetime | None = None,
    received_before: datetime | None = None,
) -> list[DeadLetter]:
    """Oldest first, pending only unless `include_redriven`; optionally only `ids`, a
    reason containing `reason_contains` (case-insensitive), received in
    [`received_after`, `received_before`)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS}, id, received_at, redriven_at FROM ingest.dead_letter "
        "WHERE (%(stage)s::text IS NULL OR stage = %(stage)s) "
        "AND (%(all)s OR redriven_at IS NULL) "
        "AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[])) "
        "AND (%(reason)s::text IS NULL OR strpos(lower(reason), lower(%(reason)s)) > 0) "
        "AND (%(after)s::timestamptz IS NULL OR received_at >= %(after)s) "
        "AND (%(before)s::timestamptz IS NULL OR received_at < %(before)s) "
        "ORDER BY id LIMIT %(limit)s",
        {"stage": stage, "all": include_redriven, "limit": limit,
         "ids": None if ids is None else list(ids), "reason": reason_contains,
         "after": received_after, "before": received_before},
    ).fetchall()
    return [DeadLetter(*row[:2], bytes(row[2]), *row[3:]) for row in rows]


def mark_redriven(conn: psycopg.Connection, ids: Sequence[int]) -> int:
    """Mark dead letters as re-driven; return how many were still pending."""
    cur = conn.execute(
        "UPDATE ingest.dead_letter SET redriven_at = now() "
        "WHERE id = ANY(%s) AND redriven_at IS NULL",
        (list(ids),),
    )
    return cur.rowcount
