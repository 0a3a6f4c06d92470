"""The ways a vendor pages a collection, as the kit's sandbox serves them (no paging at
all is `sandbox_api.WholeList`)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pms_pipelines.integrations.kit.sandbox_api import Param, Query, Record, Refused


@dataclass(frozen=True)
class OffsetLimit:
    """`offset` (zero-based) and `limit`, a larger limit served as the maximum; a bare
    list, the total in a response header when the vendor sends one. `required`: the
    vendor's answer when either is left out."""

    offset: str
    limit: str
    default: int
    maximum: int
    total_header: str | None = None
    miscased: int | None = None  # the vendor's status for `Limit` when it wants `limit`
    required: Any = False  # False, or the `Refused` the vendor answers without them

    def params(self) -> tuple[Param, ...]:
        return (Param(self.offset, "int", minimum=0, miscased=self.miscased,
                      required=self.required),
                Param(self.limit, "int", minimum=1, miscased=self.miscased,
                      required=self.required))

    def page(self, records: list[Record], values: Mapping[str, Any],
             serve: Callable[[Record], Record], path: str, query: Query
             ) -> tuple[Any, dict[str, str]]:
        start = values.get(self.offset) or 0
        size = min(values.get(self.limit) or self.default, self.maximum)
        headers = {self.total_header: str(len(records))} if self.total_header else {}
        return [serve(r) for r in records[start:start + size]], headers


@dataclass(frozen=True)
class PageOf:
    """One numbered page, for the vendor's envelope: its records (as sent), its number
    and size, the total, and the request (for links)."""

    records: list[Record]
    number: int
    size: int
    total: int
    path: str
    query: Query

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True)
class PageNumbers:
    """`number` (from 1) and `size` (1..`maximum`; larger is refused), the page wrapped in
    the vendor's `envelope`."""

    number: str
    size: str
    default: int
    maximum: int
    envelope: Callable[[PageOf], Any]

    def params(self) -> tuple[Param, ...]:
        return (Param(self.number, "int", minimum=1),
                Param(self.size, "int", minimum=1, maximum=self.maximum))

    def page(self, records: list[Record], values: Mapping[str, Any],
             serve: Callable[[Record], Record], path: str, query: Query
             ) -> tuple[Any, dict[str, str]]:
        number, size = values.get(self.number) or 1, values.get(self.size) or self.default
        chosen = records[(number - 1) * size:number * size]
        return self.envelope(PageOf([serve(r) for r in chosen], number, size, len(records),
                                    path, query)), {}


@dataclass(frozen=True)
class CursorPages:
    """An opaque cursor (`token`) naming where the next page starts, `size` records a page
    (1..`maximum`), the page and the next cursor (None at the end) in the vendor's
    `envelope(records, next_token)`. A cursor the sandbox did not issue is refused."""

    token: str
    size: str
    default: int
    maximum: int
    envelope: Callable[[list[Record], str | None], Any]

    def params(self) -> tuple[Param, ...]:
        return (Param(self.token), Param(self.size, "int", minimum=1, maximum=self.maximum))

    def page(self, records: list[Record], values: Mapping[str, Any],
             serve: Callable[[Record], Record], path: str, query: Query
             ) -> tuple[Any, dict[str, str]]:
        start = _offset(values.get(self.token), self.token)
        size = values.get(self.size) or self.default
        chosen = records[start:start + size]
        following = _cursor(start + size) if start + size < len(records) else None
        return self.envelope([serve(r) for r in chosen], following), {}


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(token: str | None, name: str) -> int:
    if token is None:
        return 0
    try:
        kind, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "offset" and offset.isdigit():
            return int(offset)
    except ValueError:
        pass
    raise Refused(400, f"{name} is not a cursor this API issued", name)
