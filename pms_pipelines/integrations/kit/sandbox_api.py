"""A vendor's API as the kit's one sandbox serves it, declared in the project's own words.

A PMS declares, once: its collections (the same paths its client's `Resource`s read),
each collection's query parameters with their types and what they filter, its paging,
how a save stamps a record, how the vendor authenticates, the vendor's error body, and
how it deletes. `sandbox_serve.start_declared` serves any such declaration; a request
the declaration does not allow (an unknown parameter, a wrong type, a missing header)
gets the vendor's 4xx, so a client that drifts from the API fails in tests. Where the
vendor's spec is present, tests check the declaration against it (every path, parameter
and field exists there with a compatible type).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pms_pipelines.integrations.kit.sandbox_server import parse_time

Record = dict[str, Any]
Query = Mapping[str, list[str]]


class Refused(Exception):
    """A request the declaration does not allow: the vendor's `status` and message, and
    the parameter at fault if one is."""

    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param


@dataclass(frozen=True)
class Param:
    """One query parameter: its type (`int`, `bool`, `datetime`, `text`), its allowed
    values, and what it does to the records (`keep(record, value)`; none: it shapes the
    answer, as paging does). `default` is applied when the request leaves it out, so a
    filter such as "deactivated records only on request" holds then too."""

    name: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    keep: Callable[[Record, Any], bool] | None = None
    default: Any = None
    required: bool = False
    format_hint: str = ""  # how the vendor words a bad value, e.g. "YYYY-MM-DDTHH:mm:ssZ"
    miscased: int | None = None  # the vendor's status for the name in another case
    many: bool = False  # repeatable (`ids=1&ids=2`): the value is the list

    def parse(self, raw: str) -> Any:
        try:
            if self.kind == "int":
                value: Any = int(raw)
            elif self.kind == "bool":
                if raw.lower() not in ("true", "false"):
                    raise ValueError
                value = raw.lower() == "true"
            elif self.kind == "datetime":
                value = parse_time(raw)
            else:
                value = raw
        except ValueError:
            raise Refused(400, f"{self.name} must be {self.format_hint or 'a ' + self.kind}",
                          self.name) from None
        if self.choices and value not in self.choices:
            raise Refused(400, f"{self.name} must be one of {sorted(self.choices)}", self.name)
        if self.minimum is not None and value < self.minimum:
            raise Refused(400, f"{self.name} must be at least {self.minimum}", self.name)
        return value


class Paging(Protocol):
    def params(self) -> tuple[Param, ...]: ...

    def page(self, records: list[Record], values: Mapping[str, Any]
             ) -> tuple[list[Record], dict[str, str]]: ...


@dataclass(frozen=True)
class OffsetLimit:
    """`offset` (zero-based) and `limit`, a larger limit served as the maximum; the total
    in a response header when the vendor sends one."""

    offset: str
    limit: str
    default: int
    maximum: int
    total_header: str | None = None
    miscased: int | None = None  # the vendor's status for `Limit` when it wants `limit`

    def params(self) -> tuple[Param, ...]:
        return (Param(self.offset, "int", minimum=0, miscased=self.miscased),
                Param(self.limit, "int", minimum=1, miscased=self.miscased))

    def page(self, records: list[Record], values: Mapping[str, Any]
             ) -> tuple[list[Record], dict[str, str]]:
        start = values.get(self.offset) or 0
        size = min(values.get(self.limit) or self.default, self.maximum)
        headers = {self.total_header: str(len(records))} if self.total_header else {}
        return records[start:start + size], headers


@dataclass(frozen=True)
class WholeList:
    """No paging: the whole result in one answer."""

    def params(self) -> tuple[Param, ...]:
        return ()

    def page(self, records: list[Record], values: Mapping[str, Any]
             ) -> tuple[list[Record], dict[str, str]]:
        return records, {}


@dataclass(frozen=True)
class Collection:
    """One collection the sandbox serves. `path` is the client's `Resource` path; `stamp`
    marks a record saved at a moment, as the vendor does; `order(records, values)` sorts
    a result (default: by id). Several collections may serve one `name` (a list and its
    by-id route); the first declares how it is stamped."""

    name: str
    path: str
    stamp: Callable[[Record, datetime, Any], None]  # (record, moment, its store)
    params: tuple[Param, ...] = ()
    paging: Paging = WholeList()
    id_field: str = "id"
    order: Callable[[list[Record], Mapping[str, Any]], None] | None = None
    # The time a record (from a fixture) says it was saved, if it says.
    stamped_at: Callable[[Record], datetime | None] = lambda record: None
    # A path parameter naming one record by `id_field` (`/v1/leases/{lease_id}`): the
    # route answers that record alone.
    item: str | None = None
    # A check of the request as a whole (a date range too long), raising `Refused`.
    check: Callable[[Mapping[str, Any]], None] | None = None

    def all_params(self) -> dict[str, Param]:
        return {p.name: p for p in (*self.params, *self.paging.params())}

    def values(self, query: Query) -> dict[str, Any]:
        """The request's parameters, parsed; an undeclared one is refused."""
        declared = self.all_params()
        unknown = sorted(set(query) - set(declared))
        by_case = {name.lower(): p for name, p in declared.items() if p.miscased}
        for name in unknown:
            if name.lower() in by_case:
                raise Refused(by_case[name.lower()].miscased or 400,
                              f"{by_case[name.lower()].name} is case-sensitive", name)
        if unknown:
            raise Refused(400, f"unknown query parameter {unknown[0]!r}", unknown[0])
        values = {name: p.default for name, p in declared.items() if p.default is not None}
        for name, raws in query.items():
            param = declared[name]
            parsed = [param.parse(raw) for raw in (raws if param.many else raws[:1])]
            values[name] = parsed if param.many else parsed[0]
        missing = [p.name for p in declared.values() if p.required and p.name not in values]
        if missing:
            raise Refused(400, f"{missing[0]} is required", missing[0])
        return values

    def keeps(self, values: Mapping[str, Any]) -> Callable[[Record], bool]:
        filters = [(p.keep, values[name]) for name, p in self.all_params().items()
                   if p.keep is not None and name in values]
        return lambda record: all(keep(record, value) for keep, value in filters)


@dataclass(frozen=True)
class HeaderKeys:
    """The vendor's API keys in request headers (header → credential field); the first
    header names the agency, the others must match its credentials."""

    headers: Mapping[str, str]

    def agency_of(self, headers: Mapping[str, str], stores: list[Any]) -> Any | None:
        (first, field_name), *others = self.headers.items()
        store = next((s for s in stores
                      if s.credentials.get(field_name) == headers.get(first)), None)
        if store is None or any(headers.get(h) != store.credentials.get(f) for h, f in others):
            return None
        return store


@dataclass(frozen=True)
class SandboxApi:
    """Everything the kit's sandbox needs to serve one vendor."""

    name: str
    prefix: str
    collections: tuple[Collection, ...]
    auth: HeaderKeys
    # The vendor's error body for a status, a message and the parameter at fault.
    error_body: Callable[[int, str, str | None], Any]
    # Canonical entity → (collection, which of its records are that entity).
    entities: Mapping[str, tuple[str, Callable[[Record], bool]]]
    # How the vendor deletes one record of a collection (store, collection, id, now).
    remove: Callable[[Any, str, Any, datetime], None]
    generate: Callable[[Any, int, Any], Any]  # (store, units, rng): seeded data
    churn: Callable[[Any, Any, datetime], dict[str, int]]  # (store, rng, now)
    rate_limit_per_s: float | None = None
    fault_status: int = 500  # what a rolled server fault answers
    content_type: str = "application/json; charset=utf-8"
    messages: Mapping[int, str] = field(default_factory=dict)  # the vendor's texts by status

    def collection_at(self, path: str) -> tuple[Collection, str | None] | None:
        """The collection served at `path`, and the id its item route names."""
        if not path.startswith(self.prefix):
            return None
        rest = path[len(self.prefix):]
        for collection in self.collections:
            if collection.path == rest:
                return collection, None
        for collection in self.collections:
            if collection.item is not None:
                head, _, _ = collection.path.partition("{")
                if rest.startswith(head) and rest[len(head):] and "/" not in rest[len(head):]:
                    return collection, rest[len(head):]
        return None

    def message(self, status: int) -> str:
        return self.messages.get(status, {401: "unauthorized", 404: "not found",
                                          429: "too many requests",
                                          500: "internal error"}.get(status, "error"))
