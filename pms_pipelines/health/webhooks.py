"""Are an agency's webhooks still coming? Polling is the safety net: a poll publishes
only what no webhook already brought (only real changes travel), so polls that keep
finding changes while no notice arrived in the window mean the vendor stopped sending
(a suspended subscription, a rotated secret, a dropped endpoint)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pms_pipelines.health.outcome import WARN, Outcome, listing, when


@dataclass(frozen=True)
class AgencyWebhooks:
    entity: str
    agency_id: str
    found_changes_at: datetime | None  # the last poll that found changes
    last_notice_at: datetime | None  # the last notice of the agency, any entity
    quiet: bool


def agency_webhooks(conn: Any, pms: str, entities: Sequence[str], window: timedelta,
                    now: datetime) -> list[AgencyWebhooks]:
    """Per entity the vendor's webhooks name and agency registered with a webhook account:
    whether it is quiet — its polls found changes in the window while none of its
    notices came."""
    rows = conn.execute(
        "SELECT w.entity, a.agency_id, w.found_changes_at, "
        "(SELECT max(n.received_at) FROM ingest.webhook_notice n "
        " WHERE n.pms = a.pms AND n.agency_id = a.agency_id) "
        "FROM ingest.agency a JOIN ingest.pull_watermark w "
        "ON w.pms = a.pms AND w.agency_id = a.agency_id AND w.entity = ANY(%s) "
        "WHERE a.pms = %s AND a.enabled AND a.webhook_account IS NOT NULL "
        "ORDER BY w.entity, a.agency_id",
        (list(entities), pms),
    ).fetchall()
    conn.commit()
    since = now - window
    return [AgencyWebhooks(entity, agency, found, last, quiet=(
        found is not None and found >= since and (last is None or last < since)))
        for entity, agency, found, last in rows]


def webhooks_flowing(conn: Any, pms: str, entities: Sequence[str], window: timedelta,
                     now: datetime) -> dict[str, Outcome]:
    """One outcome per entity: warns while an agency is quiet (`agency_webhooks`)."""
    facts = agency_webhooks(conn, pms, entities, window, now)
    outcomes = {}
    for entity in entities:
        agencies = [f for f in facts if f.entity == entity]
        quiet = [(f.agency_id, f.found_changes_at, f.last_notice_at)
                 for f in agencies if f.quiet]
        minutes = window.total_seconds() / 60
        outcomes[entity] = Outcome(
            passed=not quiet,
            severity=WARN,
            description=(
                f"{len(quiet)} of {len(agencies)} {pms} agencies sent no webhook in "
                f"{minutes:.0f} min while polls found {entity} changes: check the "
                "subscription at the vendor (runbook: webhooks)"
                if quiet else
                f"no {pms} agency's polls found {entity} changes its webhooks did not bring "
                f"in {minutes:.0f} min" if agencies else
                f"no {pms} agency registered with a webhook account"),
            metadata={
                "window_s": int(window.total_seconds()),
                "agencies": len(agencies),
                "quiet_agencies": len(quiet),
                "quiet": listing([f"{a}: polls found changes {when(found)}, last notice "
                                  f"{when(last)}" for a, found, last in quiet], limit=20),
            },
        )
    return outcomes
