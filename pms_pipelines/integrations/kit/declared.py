"""Build an integration's `pull` from declarations: which resources feed which entity,
how a record maps, and how the provider signals deletes.

A *feed* reads one canonical entity and yields `Observation`s (a provider record, its id,
and how to build the canonical record, or that it was deleted). `simple_feed` declares
the common case, one resource and one mapping function; an odd API writes its own feed
(a join, a per-record follow-up call) and still gets the rest from the kit: turning each
observation into an `Event`, or into a `Rejected` with a clear reason when mapping fails.

Every id in the vendors' specs is optional, so no feed indexes records with
`record["Id"]`: a join uses `by_id` (an id-less record cannot be joined to; its own
entity's feed rejects it, "record has no id"), and `unique` lets id-less records through.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from pms_pipelines.canonical import CanonicalRecord, Event, make_event
from pms_pipelines.integrations.kit.integration import PullRequest, Rejected
from pms_pipelines.integrations.kit.ledger import READ_TWICE, PullLedger
from pms_pipelines.integrations.kit.rest import NOT_AN_OBJECT, Resource, RestClient
from pms_pipelines.integrations.kit.values import is_id

Raw = Mapping[str, Any]


@dataclass(frozen=True)
class Observation:
    """One provider record as a feed saw it. Everything that reads the record's fields
    runs later, inside `to_event`, so a malformed record becomes a kept rejection and
    never stops the pull: `build` maps it, and `belongs` (if given) says whether it is
    the pulled entity's at all (a contact without the tenant role: skipped, `not_kept`
    being the reason)."""

    raw: Raw
    source_id: str | None
    build: Callable[[], CanonicalRecord] | None  # None: the provider says it is deleted
    updated_at: datetime | None = None
    belongs: Callable[[], bool] | None = None
    not_kept: str = ""


ClientT = TypeVar("ClientT", bound=RestClient)
# A feed reads through its integration's own client (a `RestClient` subclass).
Feed = Callable[[ClientT, PullRequest], Iterator[Observation]]


def simple_feed(
    resource: Resource,
    mapper: Callable[[Raw], CanonicalRecord],
    *,
    id_field: str = "Id",
    is_deleted: Callable[[Raw], bool] | None = None,
    updated_field: str | None = None,
) -> Feed[RestClient]:
    """One resource, one mapping function per record."""

    def feed(client: RestClient, req: PullRequest) -> Iterator[Observation]:
        for raw in client.records(resource, since=req.since):
            deleted = is_deleted is not None and is_deleted(raw)
            yield Observation(
                raw, source_id_of(raw, id_field),
                None if deleted else (lambda r=raw: mapper(r)),
                parse_time(raw.get(updated_field)) if updated_field else None,
            )

    return feed


@dataclass(frozen=True)
class FeedPull(Generic[ClientT]):
    """An integration's `pull`, declared as one feed per entity and how a request makes
    its client; `with_client` pulls through a client the caller configured (tests: page
    size, rate limit)."""

    source: str
    feeds: Mapping[str, Feed[ClientT]]
    client: Callable[[PullRequest], ClientT]
    # Per entity, the feed of a targeted pull: it reads only the records `req.targets`
    # name (kit/webhooks.py), through the same mapping as `feeds`.
    targeted: Mapping[str, Feed[ClientT]] = field(default_factory=dict)

    def __call__(self, req: PullRequest) -> Iterator[Event | Rejected]:
        self._check(req)  # before the first record is asked for: a typo fails at once
        return self.with_client(self.client(req), req)

    def with_client(self, client: ClientT, req: PullRequest) -> Iterator[Event | Rejected]:
        self._check(req)
        client.ledger = req.ledger  # what it reads is counted into the pull's account
        return self._events(client, req)

    def _events(self, client: ClientT, req: PullRequest) -> Iterator[Event | Rejected]:
        feed = self.feeds if req.targets is None else self.targeted
        for seen in feed[req.entity](client, req):
            out = to_event(self.source, req, seen)
            if out is None:
                req.ledger.skip(seen.not_kept)
            else:
                yield out

    def _check(self, req: PullRequest) -> None:
        if req.entity not in self.feeds:
            raise ValueError(f"{self.source} has no entity {req.entity!r}")
        if req.targets is not None and req.entity not in self.targeted:
            raise ValueError(f"{self.source} cannot read {req.entity} records by id")


def to_event(source: str, req: PullRequest, seen: Observation) -> Event | Rejected | None:
    """The observation's event, or its kept rejection; None when it does not belong to
    the pulled entity."""
    try:
        if NOT_AN_OBJECT in seen.raw:
            raise ValueError("record is not a JSON object")
        if seen.belongs is not None and not seen.belongs():
            return None
        if seen.source_id is None:
            raise ValueError("record has no id")
        data = None if seen.build is None else seen.build()
        return make_event(
            source=source, agency_id=req.agency_id, entity=req.entity,
            source_id=seen.source_id, data=data, observed_at=req.observed_at,
            source_updated_at=seen.updated_at,
        )
    except (ValueError, ArithmeticError, KeyError, TypeError, AttributeError) as error:
        # Any way a provider record can be malformed becomes a kept rejection, never a crash.
        return Rejected(entity=req.entity, source_id=seen.source_id, reason=reason(error),
                        raw=json.dumps(seen.raw, sort_keys=True, default=str).encode())


def reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
                 for e in error.errors()]
        return "invalid canonical record: " + "; ".join(parts)
    if isinstance(error, ValueError):
        return str(error)
    return f"malformed provider record ({type(error).__name__}: {error})"


def source_id_of(raw: Raw, id_field: str) -> str | None:
    value = raw.get(id_field)
    return None if value is None or value == "" else str(value)


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 provider timestamp; one without an offset is taken as UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None  # only metadata: a garbled stamp must not cost the record
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def by_id(records: Iterable[Raw], id_field: str = "Id") -> dict[Any, Raw]:
    """Records keyed by their id, for a join (the last of an id wins). A record without
    a usable id (none, or a list or object) cannot be joined to and is left out of the
    index; the feed of its own entity keeps it as a rejection."""
    return {record[id_field]: record for record in records
            if source_id_of(record, id_field) is not None and is_id(record[id_field])}


def positive_int(below: int) -> Callable[[Any], bool]:
    """An id the vendor's API takes as an integer parameter (`0 < id < below`, e.g.
    2**31 for int32): a reference that is not one is never asked about."""
    return lambda value: (isinstance(value, int) and not isinstance(value, bool)
                          and 0 < value < below)


def joined(index: Mapping[Any, Raw], key: Any) -> Raw | None:
    """The record `key` names in a `by_id` index; None when none does, or when `key` is
    no id at all (a list, an object: a malformed reference names nothing)."""
    return index.get(key) if is_id(key) else None


def refs(value: Any) -> list[Any]:
    """The ids a reference field holds (a list of ids, or one id); a malformed one (an
    object, a list of objects) names nothing rather than stopping the pull."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if is_id(item)]


def unique(*streams: Iterator[Raw], id_field: str = "Id",
           ledger: PullLedger | None = None) -> Iterator[Raw]:
    """Records of several reads, each id once (the first read wins). Records without an
    id all pass: nothing tells two of them apart, and each must reach `to_event` to
    become a rejection rather than vanish. Where the records are the pulled entity's own,
    pass the pull's `ledger`: each repeat left out is skipped there, `READ_TWICE`."""
    seen: set[Any] = set()
    for stream in streams:
        for record in stream:
            record_id = source_id_of(record, id_field)
            if record_id is None:
                yield record
            elif record_id not in seen:
                seen.add(record_id)
                yield record
            elif ledger is not None:
                ledger.skip(READ_TWICE)
