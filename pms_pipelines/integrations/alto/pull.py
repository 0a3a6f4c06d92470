"""Pull one entity of one Alto agency and yield canonical events (or rejections).

Which Alto collections feed which entity:
- property ← /inventory/filter?recordType=Rent (rows: id, archived, modified), each read
  in full from /inventory/items (50 ids a request): type, bedrooms, status, owners;
- landlord ← /contacts/all?persona=Landlord; tenant ← /contacts/all?persona=Tenant
  (archived contacts, `active=false`, are deletes on an incremental pull);
- tenancy ← /tenancies, each with /tenancies/{id}/tenantIds (its tenants' contact ids:
  the list's `tenants` carry no contact id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pms_pipelines.canonical import CanonicalRecord
from pms_pipelines.integrations.alto.client import (
    INVENTORY, LANDLORDS, TENANCIES, TENANTS, AltoClient,
)
from pms_pipelines.integrations.alto.mapping import (
    map_landlord, map_property, map_tenancy, map_tenant,
)
from pms_pipelines.integrations.kit import PullRequest
from pms_pipelines.integrations.kit.declared import (
    Feed, FeedPull, Observation, by_id, joined, parse_time, source_id_of,
)
from pms_pipelines.integrations.kit.rest import Resource

SOURCE = "alto"
Raw = Mapping[str, Any]


def _properties(client: AltoClient, req: PullRequest) -> Iterator[Observation]:
    rows = list(client.changed(INVENTORY, req.since))
    items = by_id(client.inventory_items(
        row.get("inventoryId") for row, gone in rows if not gone), "id")
    for row, gone in rows:
        item = joined(items, row.get("inventoryId"))
        yield Observation(row, source_id_of(row, "inventoryId"),
                          None if gone else (lambda r=row, i=item: map_property(r, i)),
                          parse_time(row.get("modifiedAt")))


def _contacts(resource: Resource, mapper: Callable[[Raw], CanonicalRecord]
              ) -> Feed[AltoClient]:
    def feed(client: AltoClient, req: PullRequest) -> Iterator[Observation]:
        for contact, gone in client.changed(resource, req.since):
            yield Observation(contact, source_id_of(contact, "id"),
                              None if gone else (lambda c=contact: mapper(c)),
                              parse_time(contact.get("modifiedAt")))
    return feed


def _tenancies(client: AltoClient, req: PullRequest) -> Iterator[Observation]:
    today = req.observed_at.date()
    for tenancy, _ in client.changed(TENANCIES, req.since):
        tenants = client.tenant_ids(tenancy.get("id"))
        yield Observation(tenancy, source_id_of(tenancy, "id"),
                          lambda t=tenancy, ts=tenants: map_tenancy(t, ts, today),
                          parse_time(tenancy.get("modifiedDate")))


FEEDS: dict[str, Feed[AltoClient]] = {
    "property": _properties,
    "landlord": _contacts(LANDLORDS, map_landlord),
    "tenant": _contacts(TENANTS, map_tenant),
    "tenancy": _tenancies,
}
pull = FeedPull(SOURCE, FEEDS, lambda req: AltoClient(
    req.base_url, req.credentials, progress=req.progress, policy=req.policy))
