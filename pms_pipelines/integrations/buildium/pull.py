"""Pull one entity of one Buildium agency and yield canonical events (or rejections).

Which Buildium collections feed which entity:
- property ← /v1/rentals/units, joined to /v1/rentals (type, status, name) and
  /v1/rentals/owners (`PropertyIds` give the landlords). Units carry no owner or rental
  fields, so an incremental pull also re-reads the units of rentals and owners that
  changed since the watermark.
- landlord ← /v1/rentals/owners; tenant ← /v1/leases/tenants;
- tenancy ← /v1/leases plus /v1/leases/rent (the rent cycle lives only on the rent
  schedule); an incremental pull also re-reads leases whose rent changed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from pms_pipelines.canonical import CanonicalRecord, Event, make_event
from pms_pipelines.integrations.buildium.client import BuildiumClient
from pms_pipelines.integrations.buildium.mapping import (
    MappingError, map_landlord, map_property, map_tenancy, map_tenant,
)
from pms_pipelines.integrations.kit import PmsApiError, PullRequest, Rejected

SOURCE = "buildium"
Raw = Mapping[str, Any]
Output = Iterator[Event | Rejected]


def pull(req: PullRequest) -> Output:
    """The integration's entry point: every event (or rejection) of `req.entity`."""
    client = BuildiumClient(
        req.base_url, req.credentials["client_id"], req.credentials["client_secret"],
        progress=req.progress,
    )
    return pull_with(client, req)


def pull_with(client: BuildiumClient, req: PullRequest) -> Output:
    """Same as `pull`, with a client the caller configured (tests: page size, rate)."""
    pullers: dict[str, Callable[[BuildiumClient, PullRequest], Output]] = {
        "property": _properties, "landlord": _landlords, "tenant": _tenants,
        "tenancy": _tenancies,
    }
    if req.entity not in pullers:
        raise ValueError(f"buildium has no entity {req.entity!r}")
    return pullers[req.entity](client, req)


def _properties(client: BuildiumClient, req: PullRequest) -> Output:
    rentals = {r["Id"]: r for r in client.rentals()}
    landlords: dict[int, set[str]] = defaultdict(set)
    for owner in client.owners():
        for property_id in owner.get("PropertyIds") or []:
            landlords[property_id].add(str(owner["Id"]))
    if req.since is None:
        units: Iterator[Raw] = client.units()
    else:
        touched = {r["Id"] for r in client.rentals(req.since)}
        touched |= {p for o in client.owners(req.since) for p in o.get("PropertyIds") or []}
        units = _unique(client.units(req.since),
                        client.units(property_ids=touched) if touched else iter(()))
    for unit in units:
        property_id = unit.get("PropertyId")
        yield _event_or_rejected(
            req, "property", unit,
            lambda u=unit, p=property_id: map_property(u, rentals.get(p), landlords[p]),
        )


def _landlords(client: BuildiumClient, req: PullRequest) -> Output:
    for owner in client.owners(req.since):
        yield _event_or_rejected(req, "landlord", owner, lambda o=owner: map_landlord(o))


def _tenants(client: BuildiumClient, req: PullRequest) -> Output:
    for tenant in client.tenants(req.since):
        yield _event_or_rejected(req, "tenant", tenant, lambda t=tenant: map_tenant(t))


def _tenancies(client: BuildiumClient, req: PullRequest) -> Output:
    leases = {lease["Id"]: lease for lease in client.leases(req.since)}
    if req.since is None:
        rents: Iterator[Raw] = client.rents()
    else:
        for lease_id in {r["LeaseId"] for r in client.rents(req.since)} - leases.keys():
            try:
                leases[lease_id] = client.lease(lease_id)
            except PmsApiError as exc:
                if exc.status != 404:  # a rent of a lease deleted since: nothing to map
                    raise
        rents = client.rents(lease_ids=leases.keys()) if leases else iter(())
    rents_by_lease: dict[int, list[Raw]] = defaultdict(list)
    for rent in rents:
        rents_by_lease[rent.get("LeaseId")].append(rent)
    today = req.observed_at.date()
    for lease_id, lease in leases.items():
        schedules = rents_by_lease.get(lease_id, [])
        stamps = [lease.get("LastUpdatedDateTime")]
        stamps += [r.get("LastUpdatedDateTime") for r in schedules]
        yield _event_or_rejected(
            req, "tenancy", lease, lambda le=lease, s=schedules: map_tenancy(le, s, today),
            updated_at=_latest(stamps),
        )


def _event_or_rejected(
    req: PullRequest, entity: str, raw: Raw, build: Callable[[], CanonicalRecord],
    updated_at: datetime | None = None,
) -> Event | Rejected:
    source_id = str(raw["Id"]) if raw.get("Id") is not None else None
    try:
        if source_id is None:
            raise MappingError("record has no Id")
        data = build()
        return make_event(
            source=SOURCE, agency_id=req.agency_id, entity=entity, source_id=source_id,
            data=data, observed_at=req.observed_at, source_updated_at=updated_at,
        )
    except (MappingError, ValidationError) as exc:
        return Rejected(entity=entity, source_id=source_id, reason=_reason(exc),
                        raw=json.dumps(raw, sort_keys=True).encode())


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
                 for e in exc.errors()]
        return "invalid canonical record: " + "; ".join(parts)
    return str(exc)


def _latest(stamps: list[Any]) -> datetime | None:
    moments = []
    for stamp in stamps:
        if not stamp:
            continue
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        # Buildium documents its timestamps as UTC; some come without an offset.
        moments.append(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
    return max(moments) if moments else None


def _unique(*streams: Iterator[Raw]) -> Iterator[Raw]:
    seen: set[Any] = set()
    for stream in streams:
        for record in stream:
            if record.get("Id") not in seen:
                seen.add(record.get("Id"))
                yield record
