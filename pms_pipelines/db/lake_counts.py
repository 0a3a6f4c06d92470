"""Counts of the events the consumer sent to the lake, per UTC day, entity and outcome:
the ground truth the lake's completeness check compares a compacted day against."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import psycopg


def add_handled_counts(
    conn: psycopg.Connection, shard_id: str, counts: Mapping[tuple[date, str, str], int]
) -> None:
    """Add `counts` ((day, entity, outcome) -> n) in the caller's transaction."""
    with conn.cursor() as cur:
        for (day, entity, outcome), count in sorted(counts.items()):
            cur.execute(
                "INSERT INTO ingest.lake_handled_count (day, entity, outcome, shard_id, count) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (day, entity, outcome, shard_id) "
                "DO UPDATE SET count = ingest.lake_handled_count.count + EXCLUDED.count, "
                "updated_at = now()",
                (day, entity, outcome, shard_id, count),
            )


def handled_counts(conn: psycopg.Connection, day: date) -> dict[tuple[str, str], int]:
    """(entity, outcome) -> events the consumer sent on `day`, summed over shards."""
    rows = conn.execute(
        "SELECT entity, outcome, sum(count)::bigint FROM ingest.lake_handled_count "
        "WHERE day = %s GROUP BY entity, outcome",
        (day,),
    ).fetchall()
    return {(entity, outcome): int(count) for entity, outcome, count in rows}
