"""The ways a vendor pages a collection, as the kit's sandbox serves them (no paging at
all is `sandbox_api.WholeList`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pms_pipelines.integrations.kit.sandbox_api import Param, Query, Record


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
