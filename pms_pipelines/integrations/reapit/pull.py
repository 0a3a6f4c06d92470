"""Pull one entity of one Reapit customer and yield canonical events (or rejections).

Which collections feed which entity (all `/…/` paths as the spec spells them):
- property ← /properties/ (the landlord is `letting.landlordId`);
- landlord ← /landlords/ (name and contact details from the primary `related` contact);
- tenant ← /contacts/?embed=relationships, the contacts holding a tenancy role;
- tenancy ← /tenancies/ (tenants are its `related` contacts), plus the currency of its
  properties from /properties/?id=….

Deletes are signalled: an incremental pull also reads what was archived since the
watermark (`fromArchive=true`; landlords, which cannot be archived: `active=false`) and
yields a delete for each. A full pull reads live records only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from pms_pipelines.canonical import CanonicalRecord
from pms_pipelines.integrations.kit import PullRequest
from pms_pipelines.integrations.kit.declared import (
    Feed, FeedPull, Observation, by_id, joined, parse_time, refs, source_id_of,
)
from pms_pipelines.integrations.kit.rest import Resource
from pms_pipelines.integrations.kit.webhooks import OWN_ID
from pms_pipelines.integrations.reapit.client import (
    CONTACTS, LANDLORDS, PROPERTIES, TENANCIES, ReapitClient,
)
from pms_pipelines.integrations.reapit.mapping import (
    is_tenant, map_landlord, map_property, map_tenancy, map_tenant,
)

SOURCE = "reapit"
Raw = Mapping[str, Any]


def _observe(raw: Raw, gone: bool, build: Callable[[], CanonicalRecord]) -> Observation:
    return Observation(raw, source_id_of(raw, "id"), None if gone else build,
                       parse_time(raw.get("modified")))


def archived_feed(resource: Resource, mapper: Callable[[Raw], CanonicalRecord],
                  keep: Callable[[Raw], bool] = lambda raw: True,
                  not_kept: str = "") -> Feed[ReapitClient]:
    """One resource, one mapping function; archived records become deletes. Records
    `keep` refuses are skipped, `not_kept` being the reason. A targeted pull reads the
    records of the ids it names, live or archived."""

    def feed(client: ReapitClient, req: PullRequest) -> Iterator[Observation]:
        read = (client.changed(resource, req.since) if req.targets is None
                else client.named(resource, req.targets.get(OWN_ID, ())))
        for raw, gone in read:
            yield replace(_observe(raw, gone, lambda r=raw: mapper(r)),
                          belongs=lambda r=raw: keep(r), not_kept=not_kept)

    return feed


def _tenancies(client: ReapitClient, req: PullRequest) -> Iterator[Observation]:
    tenancies = list(client.changed(TENANCIES, req.since) if req.targets is None
                     else client.named(TENANCIES, req.targets.get(OWN_ID, ())))
    wanted = {p for t, gone in tenancies if not gone for p in refs(t.get("propertyId"))}
    properties = by_id(client.with_ids(PROPERTIES, wanted), "id")
    for raw, gone in tenancies:
        prop = joined(properties, raw.get("propertyId"))
        yield _observe(raw, gone, lambda r=raw, p=prop: map_tenancy(r, (p or {}).get("currency")))


FEEDS: dict[str, Feed[ReapitClient]] = {
    "property": archived_feed(PROPERTIES, map_property),
    "landlord": archived_feed(LANDLORDS, map_landlord),
    "tenant": archived_feed(CONTACTS, map_tenant, keep=is_tenant,
                            not_kept="a contact without a tenancy role"),
    "tenancy": _tenancies,
}
pull = FeedPull(SOURCE, FEEDS, lambda req: ReapitClient(
    req.base_url, req.credentials, progress=req.progress, policy=req.policy),
    targeted=FEEDS)  # each feed reads by id when the request names targets
