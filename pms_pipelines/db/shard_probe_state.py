"""The consumer sensor's memory between ticks: the last shard listing and, per shard, a
shard iterator with the sequence number it is positioned right after.

A cache only. Every row says what it is (which position, issued when), so any writer may
overwrite any row: a reader that checks the position against the checkpoint and the age
against Kinesis' 5 minutes never probes from the wrong place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import psycopg

# A listed shard: (shard_id, parent shard ids, closed), the consumer's ShardInfo fields.
ListedShard = tuple[str, tuple[str, ...], bool]


@dataclass(frozen=True)
class SavedIterator:
    after_sequence: str | None  # None: at the trim horizon (nothing consumed yet)
    iterator: str
    issued_at: datetime


def read_listing(conn: psycopg.Connection, stream: str) -> tuple[list[ListedShard],
                                                                datetime | None]:
    """The shards as last listed, and when (None: never listed)."""
    rows = conn.execute(
        "SELECT shard_id, parent_shard_ids, closed, listed_at FROM ingest.shard_listing "
        "WHERE stream_name = %s ORDER BY shard_id", (stream,)).fetchall()
    shards = [(row[0], tuple(row[1]), row[2]) for row in rows]
    return shards, min((row[3] for row in rows), default=None)


def save_listing(conn: psycopg.Connection, stream: str, shards: Iterable[ListedShard],
                 listed_at: datetime) -> None:
    """Replace the stream's listing; iterators of shards no longer listed go with it."""
    shards = list(shards)
    ids = [s[0] for s in shards]
    conn.execute("DELETE FROM ingest.shard_listing WHERE stream_name = %s", (stream,))
    conn.execute("DELETE FROM ingest.shard_iterator WHERE stream_name = %s "
                 "AND NOT shard_id = ANY(%s)", (stream, ids))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ingest.shard_listing (stream_name, shard_id, parent_shard_ids, "
            "closed, listed_at) VALUES (%s, %s, %s, %s, %s)",
            [(stream, shard_id, list(parents), closed, listed_at)
             for shard_id, parents, closed in shards])


def read_iterators(conn: psycopg.Connection, stream: str) -> dict[str, SavedIterator]:
    rows = conn.execute(
        "SELECT shard_id, after_sequence, iterator, issued_at FROM ingest.shard_iterator "
        "WHERE stream_name = %s", (stream,)).fetchall()
    return {row[0]: SavedIterator(*row[1:]) for row in rows}


def save_iterators(conn: psycopg.Connection, stream: str,
                   iterators: dict[str, SavedIterator]) -> None:
    """Upsert; the last writer wins (every row describes its own position)."""
    if not iterators:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ingest.shard_iterator (stream_name, shard_id, after_sequence, "
            "iterator, issued_at) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (stream_name, shard_id) DO UPDATE SET "
            "after_sequence = EXCLUDED.after_sequence, iterator = EXCLUDED.iterator, "
            "issued_at = EXCLUDED.issued_at",
            [(stream, shard, i.after_sequence, i.iterator, i.issued_at)
             for shard, i in iterators.items()])
