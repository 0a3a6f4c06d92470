"""Referential integrity of the RDS tables: references that still point nowhere once
a grace period has passed since the row holding them was last written.

There are no foreign keys (events of one tenancy arrive in any order), so a tenancy
can briefly name a property or tenants not loaded yet; past the grace period the
referenced record never arrived. A tombstone counts as arrived (its delete did).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pms_pipelines.health.outcome import WARN, Outcome, listing

EXAMPLES = 10


@dataclass(frozen=True)
class Reference:
    name: str
    owner: str  # the table holding the reference (live rows only)
    links: str | None  # the link table, or None when the owner has the column
    column: str  # the column (on the owner or the link table) naming the target
    target: str

    def dangling_sql(self, examples: bool) -> str:
        link_join = "" if self.links is None else (
            f"JOIN pms.{self.links} l ON l.source = o.source AND l.agency_id = o.agency_id "
            f"AND l.{self.owner}_id = o.source_id ")
        ref = f"{'o' if self.links is None else 'l'}.{self.column}"
        select = (f"o.source, o.agency_id, o.source_id, {ref}" if examples else "count(*)")
        return (
            f"SELECT {select} FROM pms.{self.owner} o {link_join}"
            f"WHERE o.deleted_at IS NULL AND o.last_updated_at < %(cutoff)s "
            f"AND {ref} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pms.{self.target} t "
            f"WHERE t.source = o.source AND t.agency_id = o.agency_id "
            f"AND t.source_id = {ref})"
            + (f" ORDER BY o.last_updated_at, 1, 2, 3, 4 LIMIT {EXAMPLES}" if examples else "")
        )


REFERENCES = (
    Reference("tenancy_property", "tenancy", None, "property_id", "property"),
    Reference("tenancy_tenants", "tenancy", "tenancy_tenant", "tenant_id", "tenant"),
    Reference("property_landlords", "property", "property_landlord", "landlord_id", "landlord"),
)


def dangling_references(conn: Any, grace: timedelta, now: datetime) -> dict[str, Outcome]:
    """One outcome per owning table (`tenancy`, `property`), WARN when any reference
    written more than `grace` ago names a record that is not there."""
    params = {"cutoff": now - grace}
    found: dict[str, tuple[int, list[str]]] = {}
    for ref in REFERENCES:
        count = conn.execute(ref.dangling_sql(examples=False), params).fetchone()[0]
        rows = conn.execute(ref.dangling_sql(examples=True), params).fetchall() if count else []
        found[ref.name] = (count, [f"{s}/{a}: {ref.owner} {o} -> {ref.target} {t}"
                                   for s, a, o, t in rows])
    conn.commit()
    outcomes = {}
    for owner in dict.fromkeys(r.owner for r in REFERENCES):
        mine = [r for r in REFERENCES if r.owner == owner]
        bad = [r for r in mine if found[r.name][0]]
        outcomes[owner] = Outcome(
            passed=not bad,
            severity=WARN,
            description=(
                "; ".join(f"{found[r.name][0]} {r.owner} reference(s) to a {r.target} that "
                          "never arrived" for r in bad)
                + f" (grace {grace.total_seconds() / 60:.0f} min)"
                if bad else f"every {owner} reference older than "
                f"{grace.total_seconds() / 60:.0f} min resolves"
            ),
            metadata={
                "grace_s": int(grace.total_seconds()),
                **{f"dangling_{r.name}": found[r.name][0] for r in mine},
                **{f"examples_{r.name}": listing(found[r.name][1]) for r in mine},
            },
        )
    return outcomes
