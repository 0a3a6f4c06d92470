"""Pull one entity of one Propertyware agency and yield canonical events (or rejections).

Which Propertyware collections feed which entity:
- property ← /units, joined to /buildings (name, type, address fallback, active) and
  /portfolios (`owners` give the landlords). Both lookups are read whole on every pull;
  an incremental pull also re-reads the units of buildings and portfolios modified since
  the watermark, since a unit's record does not change when its building or owners do;
- landlord ← /contacts?type=OWNER; tenant ← /contacts?type=TENANT;
- tenancy ← /leases, whose embedded `contacts` give the tenants.
Every record carries `lastModifiedDateTime`, which becomes `source_updated_at`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from pms_pipelines.integrations.kit import PullRequest
from pms_pipelines.integrations.kit.declared import (
    Feed, FeedPull, Observation, by_id, joined, parse_time, positive_int, simple_feed,
    source_id_of, unique,
)
from pms_pipelines.integrations.propertyware.client import (
    BUILDINGS, LEASES, OWNERS, PORTFOLIOS, TENANTS, UNITS, PropertywareClient,
)
from pms_pipelines.integrations.propertyware.mapping import (
    map_landlord, map_property, map_tenancy, map_tenant,
)

SOURCE = "propertyware"
STAMP = "lastModifiedDateTime"
Raw = Mapping[str, Any]
# Beyond this many changed buildings/portfolios, re-read all units instead.
MAX_FOLLOW_UPS = 20
ID = positive_int(2**63)  # Propertyware's ids are int64


def _stamp(*records: Raw | None) -> datetime | None:
    """The latest `lastModifiedDateTime` of the records that feed one canonical record."""
    return max((t for t in (parse_time((r or {}).get(STAMP)) for r in records) if t),
               default=None)


def _changed_since(records: dict[int, Raw], since: datetime | None) -> list[int]:
    if since is None:
        return []
    # The API's own filter is "on or after" the second; the same test here spares a call.
    floor = since.replace(microsecond=0)
    return [i for i, r in records.items() if (t := _stamp(r)) is not None and t >= floor]


def _properties(client: PropertywareClient, req: PullRequest) -> Iterator[Observation]:
    buildings = by_id(client.records(BUILDINGS), "id")
    portfolios = by_id(client.records(PORTFOLIOS), "id")
    touched = [("buildingID", b) for b in _changed_since(buildings, req.since)] + [
        ("portfolioID", p) for p in _changed_since(portfolios, req.since)]
    if req.since is None or len(touched) > MAX_FOLLOW_UPS or not all(
            ID(i) for _, i in touched):
        # One full read is cheaper than many per-building reads (10 requests/s), and
        # sure where a changed building's id is one the API could refuse.
        units: Iterator[Raw] = client.records(UNITS)
    else:
        units = unique(client.records(UNITS, since=req.since),
                       *(client.records(UNITS, params=[pair]) for pair in touched), id_field="id",
                       ledger=req.ledger)
    for unit in units:
        building = joined(buildings, unit.get("buildingID"))
        portfolio = joined(portfolios, unit.get("portfolioID")
                           or (building or {}).get("portfolioID"))
        yield Observation(
            unit, source_id_of(unit, "id"),
            lambda u=unit, b=building, p=portfolio: map_property(u, b, _owners(p)),
            _stamp(unit, building, portfolio),
        )


def _owners(portfolio: Raw | None) -> list[str]:
    """The landlords' ids: the portfolio's `owners`."""
    return [str(o["id"]) for o in (portfolio or {}).get("owners") or []
            if o.get("id") is not None]


def _tenancies(client: PropertywareClient, req: PullRequest) -> Iterator[Observation]:
    today = req.observed_at.date()
    for lease in client.records(LEASES, since=req.since):
        yield Observation(lease, source_id_of(lease, "id"),
                          lambda le=lease: map_tenancy(le, today), _stamp(lease))


FEEDS: dict[str, Feed[PropertywareClient]] = {
    "property": _properties,
    "landlord": simple_feed(OWNERS, map_landlord, id_field="id", updated_field=STAMP),
    "tenant": simple_feed(TENANTS, map_tenant, id_field="id", updated_field=STAMP),
    "tenancy": _tenancies,
}
pull = FeedPull(SOURCE, FEEDS, lambda req: PropertywareClient(
    req.base_url, dict(req.credentials), policy=req.policy, progress=req.progress))
