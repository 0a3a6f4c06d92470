"""Pagination styles PMS APIs use, declared by an integration and run by the kit.

Each paginator turns "GET this collection" into a sequence of requests and yields each
page's records with the collection's total when the API tells it. A page function
`fetch(params) -> (body, headers)` does the HTTP.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol


Params = list[tuple[str, Any]]
Fetch = Callable[[Params], tuple[Any, Mapping[str, str]]]
Record = dict[str, Any]


class Paginator(Protocol):
    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], int | None]]:
        """Yield (records, total records of the collection or None if unknown) per page."""
        ...


@dataclass(frozen=True)
class PageRead:
    """Where a read of one collection stands after a page: what progress callbacks get."""

    path: str
    pages: int
    records: int  # read so far, this page's included
    total: int | None  # from the API (a total-count header or field), None if it gives none
    page_records: int = 0  # on this page

    def __str__(self) -> str:
        of = f" of {self.total}" if self.total is not None else ""
        return f"GET {self.path}: page {self.pages}, {self.records}{of} records"


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
    last page is the first short one (e.g. Buildium, Propertyware, PropertyMe).

    With `in_flight` > 1 and a total known, the next pages are requested while earlier
    ones are still on the way (`in_flight` at most, yielded in order): with a provider
    that answers in 300 ms and allows 10 requests a second, one at a time gets 3. Only
    for a `fetch` that is safe in threads (stateless auth). A page shorter than asked
    before the total (the provider capped the limit, or records shifted) drops the pages
    requested after it and goes on from where that page ended, as one at a time would.
    """

    offset_param: str = "offset"
    limit_param: str = "limit"
    page_size: int = 1000
    total_header: str | None = None
    records_path: tuple[str, ...] = ()
    in_flight: int = 1

    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], int | None]]:
        pool = ThreadPoolExecutor(self.in_flight, "page") if self.in_flight > 1 else None
        pending: collections.deque[tuple[int, Future]] = collections.deque()
        asked, total = 0, None  # the next offset to ask for; the last total the API gave

        def ask() -> None:
            nonlocal asked
            query = [*params, (self.offset_param, asked), (self.limit_param, self.page_size)]
            if pool is not None and total is not None:
                answer = pool.submit(fetch, query)
            else:  # the first page, or paging without a total: one at a time, here
                answer = Future()
                answer.set_result(fetch(query))
            pending.append((asked, answer))
            asked += self.page_size

        try:
            ask()
            while pending:
                at, answer = pending.popleft()
                body, headers = answer.result()
                page = records_at(body, self.records_path)
                if self.total_header:
                    total = _int(headers.get(self.total_header))
                end = at + len(page)
                yield page, total
                done = end >= total if total is not None else len(page) < self.page_size
                if done or not page:
                    return
                if len(page) < self.page_size:  # drop what was asked after it, go on from here
                    for _, later in pending:
                        later.cancel()
                    pending.clear()
                    asked = end
                while not pending or (total is not None and len(pending) < self.in_flight
                                      and asked < total):
                    ask()
        finally:
            for _, later in pending:
                later.cancel()
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)


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

    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], int | None]]:
        number = self.first_page
        seen = 0
        while True:
            body, _ = fetch([*params, (self.page_param, number), (self.size_param, self.page_size)])
            page = records_at(body, self.records_path)
            total = _int(body.get(self.total_key)) if self.total_key and isinstance(body, dict) else None
            seen += len(page)
            yield page, total
            done = seen >= total if total is not None else len(page) < self.page_size
            if done or not page:
                return
            number += 1


@dataclass(frozen=True)
class Unpaged:
    """One request returns the whole collection."""

    records_path: tuple[str, ...] = ()

    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], int | None]]:
        body, _ = fetch(list(params))
        page = records_at(body, self.records_path)
        yield page, len(page)
