"""`ingest.pull_log`: how each entity pull of an agency ended (migration 0011)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pms_pipelines.db.storable_text import storable_text

ERROR_CHARS = 500  # the health view shows the start of it; the run's logs keep the rest


@dataclass(frozen=True)
class PullOutcome:
    pms: str
    agency_id: str
    entity: str
    mode: str
    seconds: float
    succeeded: bool
    pulled: int | None = None
    published: int | None = None
    error: str | None = None


def record_pull(conn: Any, outcome: PullOutcome) -> None:
    """Add the row and commit (the caller's transaction must be finished)."""
    conn.execute(
        "INSERT INTO ingest.pull_log (pms, agency_id, entity, mode, seconds, succeeded, "
        "pulled, published, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (outcome.pms, outcome.agency_id, outcome.entity, outcome.mode, outcome.seconds,
         outcome.succeeded, outcome.pulled, outcome.published,
         None if outcome.error is None else storable_text(outcome.error, ERROR_CHARS)),
    )
    conn.commit()


def delete_pull_log_before(conn: Any, cutoff: datetime) -> int:
    """Delete the rows of pulls that ended before `cutoff`; how many."""
    deleted = conn.execute("DELETE FROM ingest.pull_log WHERE finished_at < %s",
                           (cutoff,)).rowcount
    conn.commit()
    return deleted
