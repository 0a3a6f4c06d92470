"""Pagination styles PMS APIs use, declared by an integration and run by the kit.

Each paginator turns "GET this collection" into a sequence of requests and yields each
page's records. A page function `fetch(params) -> (body, headers)` does the HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

Params = list[tuple[str, Any]]
Fetch = Callable[[Params], tuple[Any, Mapping[str, str]]]
Record = dict[str, Any]


class Paginator(Protocol):
    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], str]]:
        """Yield (records, progress text) per page."""
        ...


def records_at(body: Any, path: tuple[str, ...]) -> list[Record]:
    """The record list inside a response body (`()` when the body is the list itself)."""
    node = body
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if node is None and path:
        return []  # e.g. an empty page whose envelope omits the list
    if not isinstance(node, list):
        raise ValueError(f"expected a JSON array at {'.'.join(path) or 'the body'}")
    return node


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class OffsetPaging:
    """`offset`/`limit` style; the total from a header when the API sends one, else the
    last page is the first short one (e.g. Buildium, Propertyware, PropertyMe)."""

    offset_param: str = "offset"
    limit_param: str = "limit"
    page_size: int = 1000
    total_header: str | None = None
    records_path: tuple[str, ...] = ()

    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], str]]:
        offset = 0
        while True:
            body, headers = fetch([*params, (self.offset_param, offset),
                                   (self.limit_param, self.page_size)])
            page = records_at(body, self.records_path)
            total = _int(headers.get(self.total_header)) if self.total_header else None
            offset += len(page)
            yield page, f"{offset} of {total if total is not None else '?'}"
            done = offset >= total if total is not None else len(page) < self.page_size
            if done or not page:
                return


@dataclass(frozen=True)
class PageNumberPaging:
    """`pageNumber`/`pageSize` style with the records in an envelope (e.g. Reapit's
    `_embedded`); stops at the envelope's total or on a short page."""

    page_param: str = "pageNumber"
    size_param: str = "pageSize"
    page_size: int = 100
    first_page: int = 1
    records_path: tuple[str, ...] = ("_embedded",)
    total_key: str | None = "totalCount"

    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], str]]:
        number = self.first_page
        seen = 0
        while True:
            body, _ = fetch([*params, (self.page_param, number), (self.size_param, self.page_size)])
            page = records_at(body, self.records_path)
            total = _int(body.get(self.total_key)) if self.total_key and isinstance(body, dict) else None
            seen += len(page)
            yield page, f"page {number}: {seen} of {total if total is not None else '?'}"
            done = seen >= total if total is not None else len(page) < self.page_size
            if done or not page:
                return
            number += 1


@dataclass(frozen=True)
class Unpaged:
    """One request returns the whole collection."""

    records_path: tuple[str, ...] = ()

    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], str]]:
        body, _ = fetch(list(params))
        page = records_at(body, self.records_path)
        yield page, f"{len(page)} records"
