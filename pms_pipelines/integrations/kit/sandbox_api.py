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
from collections.abc import Sequence
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
    maximum: int | None = None
    keep: Callable[[Record, Any], bool] | None = None
    default: Any = None
    required: bool | Refused = False  # or the vendor's own answer when it is left out
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
        if self.maximum is not None and value > self.maximum:
            raise Refused(400, f"{self.name} must be at most {self.maximum}", self.name)
        return value


class Paging(Protocol):
    """How a collection pages: its parameters, and the answer for one page (`serve`
    turns a stored record into the one sent) with its headers. Kinds: `WholeList` here,
    the others in `sandbox_paging`."""

    def params(self) -> tuple[Param, ...]: ...

    def page(self, records: list[Record], values: Mapping[str, Any],
             serve: Callable[[Record], Record], path: str, query: Query
             ) -> tuple[Any, dict[str, str]]: ...


@dataclass(frozen=True)
class WholeList:
    """No paging: the whole result in one answer, a bare list or in the vendor's
    `envelope` (`{"totalCount": …, "items": […]}`)."""

    envelope: Callable[[list[Record]], Any] | None = None

    def params(self) -> tuple[Param, ...]:
        return ()

    def page(self, records: list[Record], values: Mapping[str, Any],
             serve: Callable[[Record], Record], path: str, query: Query
             ) -> tuple[Any, dict[str, str]]:
        served_records = [serve(r) for r in records]
        return (self.envelope(served_records) if self.envelope else served_records), {}


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
    # A path parameter naming one record by `id_field` (`/v1/leases/{lease_id}`, or
    # `/tenancies/{tenancy_id}/tenantIds`): the route answers that record alone.
    item: str | None = None
    # A check of the request as a whole (a date range too long), raising `Refused`.
    check: Callable[[Mapping[str, Any]], None] | None = None
    # Which stored records this route lists at all (an archived list: archived ones).
    where: Callable[[Record], bool] | None = None
    # The record as this route and request show it (fields left out unless embedded).
    view: Callable[[Record, Mapping[str, Any]], Record] | None = None
    # The vendor's row-version field, if its stamp is a counter: a fixture's values
    # move the store's counter past them.
    counter_field: str | None = None
    # What a fixture's record listed under this route implies (archived: `IsArchived`).
    fixture_marks: Mapping[str, Any] = field(default_factory=dict)

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
        for param in declared.values():
            if param.required is not False and param.name not in values:
                raise (param.required if isinstance(param.required, Refused) else
                       Refused(400, f"{param.name} is required", param.name))
        return values

    def keeps(self, values: Mapping[str, Any]) -> Callable[[Record], bool]:
        filters = [(p.keep, values[name]) for name, p in self.all_params().items()
                   if p.keep is not None and name in values]
        where = self.where or (lambda record: True)
        return lambda record: where(record) and all(keep(record, value)
                                                    for keep, value in filters)

    def serve(self, values: Mapping[str, Any], drop_nulls: bool) -> Callable[[Record], Record]:
        """Stored record → the record sent: the sandbox's own `__` fields never, nulls
        not where the vendor leaves them out, and as this route shows it."""
        def one(record: Record) -> Record:
            sent = served(record, drop_nulls)
            return self.view(sent, values) if self.view is not None else sent
        return one


class SandboxAuth(Protocol):
    """How the vendor authenticates (kinds in `sandbox_auth`): `agency_of` names the agency
    a request reads and the key its rate limit counts under, or raises `Refused`; a
    vendor with a token endpoint at `token_path` answers its `grant` (status, OAuth
    body, headers). `tokens` is the running sandbox's `sandbox_auth.TokenBook`."""

    token_path: str | None

    def agency_of(self, headers: Mapping[str, str], stores: Sequence[Any],
                  tokens: Any) -> tuple[Any, str]: ...

    def grant(self, form: Mapping[str, str], basic: tuple[str, str] | None,
              stores: Sequence[Any], tokens: Any) -> tuple[int, dict[str, Any], dict[str, str]]: ...


@dataclass(frozen=True)
class SandboxApi:
    """Everything the kit's sandbox needs to serve one vendor."""

    name: str
    prefix: str
    collections: tuple[Collection, ...]
    auth: SandboxAuth
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
    error_headers: Mapping[int, Mapping[str, str]] = field(default_factory=dict)  # by status
    max_in_flight: int | None = None  # concurrent requests per agency (with the rate limit)
    drop_nulls: bool = False  # the vendor leaves an absent value out rather than null
    webhooks: Any = None  # the vendor's webhooks (kit/sandbox_webhooks.SandboxWebhooks)

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
                head, _, tail = collection.path.partition("{")
                tail = tail.partition("}")[2]  # what follows the id: `/tenantIds`
                middle = rest[len(head):len(rest) - len(tail)]
                if (rest.startswith(head) and rest.endswith(tail) and middle
                        and "/" not in middle):
                    return collection, middle
        return None

    def message(self, status: int) -> str:
        return self.messages.get(status, {401: "unauthorized", 404: "not found",
                                          429: "too many requests",
                                          500: "internal error"}.get(status, "error"))


def served(node: Any, drop_nulls: bool = False) -> Any:
    """A stored value as the vendor returns it: without the sandbox's own `__` fields, at
    any depth (a generator may nest one stored record in another, a lease's tenants), and
    without nulls when the vendor leaves them out."""
    if isinstance(node, dict):
        return {k: served(v, drop_nulls) for k, v in node.items()
                if not str(k).startswith("__") and not (drop_nulls and v is None)}
    if isinstance(node, list):
        return [served(v, drop_nulls) for v in node]
    return node
