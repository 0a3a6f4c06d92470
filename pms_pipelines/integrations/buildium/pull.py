"""Pull one entity of one Buildium agency and yield canonical events (or rejections).

Which Buildium collections feed which entity:
- property ← /v1/rentals/units, joined to /v1/rentals (type, status, name) and
  /v1/rentals/owners (`PropertyIds` give the landlords). Units carry no owner or rental
  fields, so an incremental pull reads rentals, owners and units changed since the
  watermark (three requests when nothing changed), then the units of the changed
  rentals and owners, and only the rentals and owners of the units it maps.
- landlord ← /v1/rentals/owners; tenant ← /v1/leases/tenants;
- tenancy ← /v1/leases plus /v1/leases/rent (the rent cycle lives only on the rent
  schedule); an incremental pull also re-reads leases whose rent changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pms_pipelines.integrations.buildium.client import ID, OWNERS, TENANTS, BuildiumClient
from pms_pipelines.integrations.buildium.mapping import (
    map_landlord, map_property, map_tenancy, map_tenant,
)
from pms_pipelines.integrations.kit import PmsApiError, PullRequest
from pms_pipelines.integrations.kit.declared import (
    Feed, FeedPull, Observation, by_id, is_id, joined, parse_time, refs, simple_feed, source_id_of,
    unique,
)

SOURCE = "buildium"
Raw = Mapping[str, Any]


def _properties(client: BuildiumClient, req: PullRequest) -> Iterator[Observation]:
    if req.since is None:
        rentals = by_id(client.rentals())
        landlords = _landlords(client.owners())
        units: Iterator[Raw] = client.units()
    else:
        # What changed first (one request each when nothing did), then only the rentals
        # and owners of the units to map: never the whole of either.
        touched = set(by_id(client.rentals(req.since)))
        touched |= {p for o in client.owners(req.since) for p in refs(o.get("PropertyIds"))}
        changed = list(unique(client.units(req.since), client.units(property_ids=touched),
                              ledger=req.ledger))
        needed = {p for u in changed for p in refs(u.get("PropertyId"))}
        rentals = by_id(client.rentals(property_ids=needed))
        landlords = _landlords(client.owners(property_ids=needed))
        units = iter(changed)
    for unit in units:
        property_id = unit.get("PropertyId")
        yield Observation(
            unit, source_id_of(unit, "Id"),
            lambda u=unit, p=property_id: map_property(u, joined(rentals, p),
                                                       landlords[p] if is_id(p) else set()),
        )


def _landlords(owners: Iterator[Raw]) -> defaultdict[int, set[str]]:
    """Owner ids per property, from the owners' `PropertyIds` (an owner without an id
    names no landlord; the landlord pull rejects it)."""
    landlords: defaultdict[int, set[str]] = defaultdict(set)
    for owner_id, owner in by_id(owners).items():
        for property_id in refs(owner.get("PropertyIds")):
            landlords[property_id].add(str(owner_id))
    return landlords


def _tenancies(client: BuildiumClient, req: PullRequest) -> Iterator[Observation]:
    # Id-less ones too: each a rejection.
    leases = list(unique(client.leases(req.since), ledger=req.ledger))
    known = by_id(leases)
    if req.since is None:
        rents: Iterator[Raw] = client.rents()
    else:
        # A rent without a LeaseId belongs to no lease we could read or map.
        changed = set(by_id(client.rents(req.since), "LeaseId")) - known.keys()
        for lease_id in filter(ID, changed):
            try:
                leases.append(client.lease(lease_id))
            except PmsApiError as exc:
                if exc.status != 404:  # a rent of a lease deleted since: nothing to map
                    raise
        known = by_id(leases)
        rents = client.rents(lease_ids=known.keys()) if known else iter(())
    rents_by_lease: dict[Any, list[Raw]] = defaultdict(list)
    for rent in rents:
        if is_id(rent.get("LeaseId")):
            rents_by_lease[rent["LeaseId"]].append(rent)
    today = req.observed_at.date()
    for lease in leases:
        lease_id = lease.get("Id")
        schedules = rents_by_lease.get(lease_id, []) if is_id(lease_id) else []
        stamps = [lease.get("LastUpdatedDateTime")]
        stamps += [r.get("LastUpdatedDateTime") for r in schedules]
        yield Observation(
            lease, source_id_of(lease, "Id"),
            lambda le=lease, s=schedules: map_tenancy(le, s, today),
            max((t for t in map(parse_time, stamps) if t), default=None),
        )


FEEDS: dict[str, Feed[BuildiumClient]] = {
    "property": _properties,
    "landlord": simple_feed(OWNERS, map_landlord),
    "tenant": simple_feed(TENANTS, map_tenant),
    "tenancy": _tenancies,
}
pull = FeedPull(SOURCE, FEEDS, lambda req: BuildiumClient(
    req.base_url, req.credentials["client_id"], req.credentials["client_secret"],
    progress=req.progress, policy=req.policy))
