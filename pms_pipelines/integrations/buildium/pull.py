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
from datetime import date
from typing import Any

from pms_pipelines.integrations.buildium.client import (
    ID, LEASE, OWNERS, TENANT, TENANTS, UNIT, BuildiumClient,
)
from pms_pipelines.integrations.buildium.mapping import (
    map_landlord, map_property, map_tenancy, map_tenant,
)
from pms_pipelines.integrations.kit import PmsApiError, PullRequest
from pms_pipelines.integrations.kit.webhooks import OWN_ID
from pms_pipelines.integrations.kit.declared import (
    Feed, FeedPull, Observation, by_id, is_id, joined, parse_time, refs, simple_feed, source_id_of,
    unique,
)

SOURCE = "buildium"
Raw = Mapping[str, Any]


def _properties(client: BuildiumClient, req: PullRequest) -> Iterator[Observation]:
    if req.since is None:
        rentals, landlords = by_id(client.rentals()), _landlords(client.owners())
        yield from _observe_units(client.units(), rentals, landlords)
        return
    # What changed first (one request each when nothing did), then only the rentals
    # and owners of the units to map: never the whole of either.
    touched = set(by_id(client.rentals(req.since)))
    touched |= {p for o in client.owners(req.since) for p in refs(o.get("PropertyIds"))}
    yield from _joined_units(client, list(unique(
        client.units(req.since), client.units(property_ids=touched), ledger=req.ledger)))


def _joined_units(client: BuildiumClient, units: list[Raw]) -> Iterator[Observation]:
    """These units, joined to just their rentals and owners."""
    needed = {p for u in units for p in refs(u.get("PropertyId"))}
    rentals = by_id(client.rentals(property_ids=needed))
    landlords = _landlords(client.owners(property_ids=needed))
    yield from _observe_units(iter(units), rentals, landlords)


def _observe_units(units: Iterator[Raw], rentals: Mapping[Any, Raw],
                   landlords: Mapping[Any, set[str]]) -> Iterator[Observation]:
    for unit in units:
        property_id = unit.get("PropertyId")
        yield Observation(
            unit, source_id_of(unit, "Id"),
            lambda u=unit, p=property_id: map_property(
                u, joined(rentals, p), landlords.get(p, set()) if is_id(p) else set()),
        )


def _properties_by_id(client: BuildiumClient, req: PullRequest) -> Iterator[Observation]:
    """Units a webhook named (`RentalUnit.*`), and the units of rentals it named
    (`Rental.*`: a rental's type, status and name are on each of its units)."""
    targets = req.targets or {}
    rentals = [int(i) for i in targets.get("rental", ()) if i.isdigit()]
    yield from _joined_units(client, list(unique(
        client.each(UNIT, targets.get(OWN_ID, ())),
        client.units(property_ids=rentals) if rentals else iter(()), ledger=req.ledger)))


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
    rents: Iterator[Raw] | None = None  # those of the leases read, unless a full pull
    if req.since is None:
        rents = client.rents()
    else:
        # A rent without a LeaseId belongs to no lease we could read or map.
        changed = set(by_id(client.rents(req.since), "LeaseId")) - known.keys()
        for lease_id in filter(ID, changed):
            try:
                leases.append(client.lease(lease_id))
            except PmsApiError as exc:
                if exc.status != 404:  # a rent of a lease deleted since: nothing to map
                    raise
    yield from _leases_with_rents(client, leases, req.observed_at.date(), rents)


def _tenancies_by_id(client: BuildiumClient, req: PullRequest) -> Iterator[Observation]:
    leases = list(client.each(LEASE, (req.targets or {}).get(OWN_ID, ())))
    yield from _leases_with_rents(client, leases, req.observed_at.date())


def _leases_with_rents(client: BuildiumClient, leases: list[Raw], today: date,
                       rents: Iterator[Raw] | None = None) -> Iterator[Observation]:
    """Each lease joined to its rent schedules (read for just these leases unless
    `rents` are given)."""
    if rents is None:
        known = by_id(leases)
        rents = client.rents(lease_ids=known.keys()) if known else iter(())
    rents_by_lease: dict[Any, list[Raw]] = defaultdict(list)
    for rent in rents:
        if is_id(rent.get("LeaseId")):
            rents_by_lease[rent["LeaseId"]].append(rent)
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


def _tenants_by_id(client: BuildiumClient, req: PullRequest) -> Iterator[Observation]:
    for tenant in client.each(TENANT, (req.targets or {}).get(OWN_ID, ())):
        yield Observation(tenant, source_id_of(tenant, "Id"), lambda t=tenant: map_tenant(t))


# Buildium sends no webhook for rental owners: landlords are polled only.
TARGETED: dict[str, Feed[BuildiumClient]] = {
    "property": _properties_by_id, "tenant": _tenants_by_id, "tenancy": _tenancies_by_id,
}
pull = FeedPull(SOURCE, FEEDS, lambda req: BuildiumClient(
    req.base_url, req.credentials["client_id"], req.credentials["client_secret"],
    progress=req.progress, policy=req.policy), TARGETED)
