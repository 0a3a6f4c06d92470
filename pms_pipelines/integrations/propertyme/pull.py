"""Pull one entity of one PropertyMe agency and yield canonical events (or rejections).

Which PropertyMe collections feed which entity, and how deletes are signalled:
- property ← /v1/lots?Timestamp=N (archived lots drop out of it); deletes ←
  /v1/lots/archived?ArchivedSince=… (paged), each archived lot a `delete` event;
- landlord / tenant ← /v1/contacts?Timestamp=N&IncludeArchived=true, the contacts with
  the owner / tenant role; an archived contact (`IsArchived`) is a `delete` event;
- N is 0 on a full pull, else the highest `Timestamp` the last successful pull of the
  entity saw (`req.cursor`): every record read moves it, whatever its role, so an
  update is pulled once, and neither missed nor pulled again;
- tenancy ← /v1/tenancies?IncludeClosed=true, unpaged and without a change filter: an
  incremental pull keeps those `UpdatedOn` at or after the watermark; a closed tenancy
  (`IsClosed`) is a `delete` event.
Full pulls emit the deletes too, so a re-sync after lost data removes what went away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pms_pipelines.integrations.kit import PullRequest
from pms_pipelines.integrations.kit.declared import (
    Feed, FeedPull, Observation, parse_time, source_id_of,
)
from pms_pipelines.integrations.propertyme.client import PropertyMeClient
from pms_pipelines.integrations.propertyme.mapping import (
    is_owner, is_tenant, map_landlord, map_property, map_tenancy, map_tenant,
)

SOURCE = "propertyme"
Raw = Mapping[str, Any]


def _after(req: PullRequest) -> int:
    """The `Timestamp` filter: everything on a full pull or with no marker stored yet."""
    return 0 if req.since is None else (req.cursor.stored_int() or 0)


def _properties(client: PropertyMeClient, req: PullRequest) -> Iterator[Observation]:
    for lot in client.lots(_after(req)):
        req.cursor.saw_int(lot.get("Timestamp"))
        yield Observation(lot, source_id_of(lot, "Id"), lambda r=lot: map_property(r),
                          parse_time(lot.get("UpdatedOn")))
    for lot in client.archived_lots(req.since):
        yield Observation(lot, source_id_of(lot, "Id"), None, parse_time(lot.get("ArchivedOn")))


def _contacts(role: Callable[[Raw], bool], mapper: Callable[[Raw], Any]
              ) -> Feed[PropertyMeClient]:
    def feed(client: PropertyMeClient, req: PullRequest) -> Iterator[Observation]:
        for contact in client.contacts(_after(req)):
            req.cursor.saw_int(contact.get("Timestamp"))
            archived = bool(contact.get("IsArchived"))
            yield Observation(contact, source_id_of(contact, "Id"),
                              None if archived else (lambda r=contact: mapper(r)),
                              parse_time(contact.get("UpdatedOn")),
                              belongs=lambda r=contact: role(r),
                              not_kept=f"a contact without the {req.entity} role")

    return feed


def _tenancies(client: PropertyMeClient, req: PullRequest) -> Iterator[Observation]:
    today = req.observed_at.date()
    for tenancy in client.tenancies():
        updated = parse_time(tenancy.get("UpdatedOn"))
        # No change filter on this endpoint: a record without UpdatedOn is always re-read.
        if req.since is not None and updated is not None and updated < req.since:
            req.ledger.skip("updated before the watermark")
            continue
        closed = bool(tenancy.get("IsClosed"))
        yield Observation(tenancy, source_id_of(tenancy, "Id"),
                          None if closed else (lambda r=tenancy: map_tenancy(r, today)), updated)


FEEDS: dict[str, Feed[PropertyMeClient]] = {
    "property": _properties,
    "landlord": _contacts(is_owner, map_landlord),
    "tenant": _contacts(is_tenant, map_tenant),
    "tenancy": _tenancies,
}
pull = FeedPull(SOURCE, FEEDS, lambda req: PropertyMeClient(
    req.base_url, req.credentials, policy=req.policy, progress=req.progress,
    save_credentials=req.save_credentials, agency_id=req.agency_id))
