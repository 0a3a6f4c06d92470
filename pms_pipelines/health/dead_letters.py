"""New dead letters since the last evaluation of a check, by reason, with a few
examples (where each came from, never the payload bytes: they hold personal data).

The cursor is the highest id seen and how many letters had an id at or below it then.
Ids come from a sequence inside the batch transactions, so a letter can commit after
one with a higher id: it is counted by the second number growing (letters are never
deleted, re-driving only marks them). All is read from one snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pms_pipelines.health.outcome import ERROR, Outcome, listing, when

REASON_CHARS = 200
EXAMPLES = 5


@dataclass(frozen=True)
class DeadLetterCursor:
    max_id: int
    at_or_below: int


@dataclass(frozen=True)
class Scope:
    """Which dead letters a check watches: a stage, and for pulls a PMS and entity."""

    stage: str
    source: str | None = None
    entity: str | None = None

    def sql(self) -> tuple[str, dict[str, Any]]:
        return ("stage = %(stage)s AND (%(source)s::text IS NULL OR source = %(source)s) "
                "AND (%(entity)s::text IS NULL OR entity = %(entity)s)",
                {"stage": self.stage, "source": self.source, "entity": self.entity})

    def name(self) -> str:
        return " ".join(p for p in (self.source, self.entity) if p) or "stream"


def new_dead_letters(
    conn: Any, scope: Scope, since: DeadLetterCursor | None, severity: str = ERROR
) -> tuple[Outcome, DeadLetterCursor]:
    """What arrived since `since` (None, a first evaluation: every pending letter), and
    the cursor to pass next time."""
    where, params = scope.sql()
    conn.commit()
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one snapshot for all
    max_id, at_or_below, pending = conn.execute(
        "SELECT coalesce(max(id), 0), count(*), count(*) FILTER (WHERE redriven_at IS NULL) "
        f"FROM ingest.dead_letter WHERE {where}", params).fetchone()
    if since is None:
        new_where = f"{where} AND redriven_at IS NULL"
        late = 0
    else:
        new_where = f"{where} AND id > %(after)s"
        params["after"] = since.max_id
        late = conn.execute(
            f"SELECT count(*) FROM ingest.dead_letter WHERE {where} AND id <= %(after)s",
            params).fetchone()[0] - since.at_or_below
        late = max(late, 0)  # fewer than before: not the same database
    reasons = conn.execute(
        f"SELECT left(reason, {REASON_CHARS}), count(*) FROM ingest.dead_letter "
        f"WHERE {new_where} GROUP BY 1 ORDER BY 2 DESC, 1", params).fetchall()
    examples = conn.execute(
        "SELECT id, received_at, coalesce(source, '-'), coalesce(agency_id, '-'), "
        "coalesce(entity, '-'), coalesce(source_id, '-'), coalesce(shard_id, '-'), "
        f"coalesce(sequence_number, '-'), left(reason, {REASON_CHARS}) "
        f"FROM ingest.dead_letter WHERE {new_where} ORDER BY id DESC LIMIT {EXAMPLES}",
        params).fetchall()
    conn.commit()
    new = sum(count for _, count in reasons) + late
    lines = [
        f"#{i} {when(received)} {source}/{agency}/{entity}/{source_id}"
        + (f" shard {shard} seq {sequence}" if scope.stage == "consume" else "")
        + f": {reason}"
        for i, received, source, agency, entity, source_id, shard, sequence, reason in examples
    ]
    what = f"{scope.stage}-stage dead letters ({scope.name()})"
    metadata: dict[str, int | float | str] = {
        "new_dead_letters": new,
        "pending_dead_letters": pending,
        "by_reason": listing([f"{count} x {reason}" for reason, count in reasons]),
        "examples": listing(lines),
        "cursor_max_id": max_id,
        "cursor_at_or_below": at_or_below,
    }
    if late:
        metadata["committed_late"] = late
    return Outcome(
        passed=new == 0,
        severity=severity,
        description=(f"{new} new {what} since the last check" if new else
                     f"no new {what} since the last check ({pending} pending)"),
        metadata=metadata,
    ), DeadLetterCursor(max_id, at_or_below)
