"""Pagination styles PMS APIs use, declared by an integration and run by the kit.

Each paginator turns "GET this collection" into a sequence of requests and yields each
page's records with the collection's total when the API tells it. A page function
`fetch(params) -> (body, headers)` does the HTTP.

Paging always ends, whatever the provider answers: on an empty page, on the vendor's
own end signal (a reached total or page count; a short page where its paging makes
that the end), and at the latest after `max_pages` pages, when `EndlessPaging` is
raised (the client turns it into a `PmsApiError`, so the pull fails and no watermark
moves) rather than following a provider that keeps serving pages.
"""

from __future__ import annotations

import collections
import contextvars
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol


Params = list[tuple[str, Any]]
Fetch = Callable[[Params], tuple[Any, Mapping[str, str]]]
Record = dict[str, Any]
# No agency's collection needs more pages than this (10 M Buildium records, 1 M Reapit
# ones); a provider still serving pages past it is looping, not paging.
MAX_PAGES = 10_000


class UnexpectedBody(ValueError):
    """A 200 whose body holds no record list where the API declares one."""


class EndlessPaging(Exception):
    """The provider kept serving pages past the paginator's bound."""

    def __init__(self, pages: int, records: int) -> None:
        super().__init__(f"the provider kept serving pages: stopped after {pages} pages "
                         f"({records} records) without reaching the end of the collection")


class Paginator(Protocol):
    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], int | None]]:
        """Yield (records, total records of the collection or None if unknown) per page."""
        ...

    def sized(self, page_size: int) -> Paginator:
        """The same paging asking for at most `page_size` records a page (never more
        than it asks for now)."""
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
        raise UnexpectedBody(f"expected a JSON array at {'.'.join(path) or 'the body'}, "
                             f"got {type(node).__name__}")
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
    for a `fetch` that is safe in threads (stateless auth).

    A page shorter than asked before the total means the provider pages by fewer records
    than asked (it capped the limit) or the total was wrong. Either way the read goes on
    from where that page ended, asking for the page size the provider served, one page
    at a time until a full page shows that size holds; then pages are asked ahead again.
    Asking ahead at the old size would throw away each page asked after a short one (they
    were sent, spending the agency's rate budget) and do so again after every page.
    """

    offset_param: str = "offset"
    limit_param: str = "limit"
    page_size: int = 1000
    total_header: str | None = None
    records_path: tuple[str, ...] = ()
    in_flight: int = 1
    max_pages: int = MAX_PAGES

    def sized(self, page_size: int) -> OffsetPaging:
        return replace(self, page_size=max(1, min(page_size, self.page_size)))

    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], int | None]]:
        pool = ThreadPoolExecutor(self.in_flight, "page") if self.in_flight > 1 else None
        pending: collections.deque[tuple[int, Future]] = collections.deque()
        asked, total = 0, None  # the next offset to ask for; the last total the API gave
        size = self.page_size  # what the provider serves a page, as far as we know
        trusted = True  # pages at `size` came back full: asking ahead will not be wasted
        pages = records = 0

        def ask() -> None:
            nonlocal asked
            query = [*params, (self.offset_param, asked), (self.limit_param, size)]
            if pool is not None and total is not None and trusted:
                # In the caller's context: the pull's error counter (error_counts.py).
                answer = pool.submit(contextvars.copy_context().run, fetch, query)
            else:  # the first page, paging without a total, or a probe: one at a time
                answer = Future()
                answer.set_result(fetch(query))
            pending.append((asked, answer))
            asked += size

        try:
            ask()
            while pending:
                at, answer = pending.popleft()
                body, headers = answer.result()
                page = records_at(body, self.records_path)
                if self.total_header:
                    total = _int(headers.get(self.total_header))
                end = at + len(page)
                pages, records = pages + 1, records + len(page)
                yield page, total
                done = end >= total if total is not None else len(page) < size
                if done or not page:
                    return
                if pages >= self.max_pages:
                    raise EndlessPaging(pages, records)
                trusted = len(page) >= size
                if not trusted:  # drop what was asked after it, go on from here
                    for _, later in pending:
                        later.cancel()
                    pending.clear()
                    asked, size = end, len(page)
                while not pending or (trusted and total is not None
                                      and len(pending) < self.in_flight and asked < total):
                    ask()
        finally:
            for _, later in pending:
                later.cancel()
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class PageNumberPaging:
    """`pageNumber`/`pageSize` style with the records in an envelope (e.g. Reapit's
    `_embedded`). Pages are numbered by the provider's page size, so a page shorter than
    that size (the envelope's `size_key` when it reports one, else the size asked) is the
    last; so is the page numbered `total_pages_key` and the one reaching `total_key`
    records; and an empty page."""

    page_param: str = "pageNumber"
    size_param: str = "pageSize"
    page_size: int = 100
    first_page: int = 1
    records_path: tuple[str, ...] = ("_embedded",)
    total_key: str | None = "totalCount"
    total_pages_key: str | None = "totalPageCount"
    size_key: str | None = "pageSize"
    max_pages: int = MAX_PAGES

    def sized(self, page_size: int) -> PageNumberPaging:
        return replace(self, page_size=max(1, min(page_size, self.page_size)))

    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], int | None]]:
        number = self.first_page
        pages = seen = 0
        while True:
            body, _ = fetch([*params, (self.page_param, number), (self.size_param, self.page_size)])
            page = records_at(body, self.records_path)
            envelope = body if isinstance(body, dict) else {}
            total = _int(envelope.get(self.total_key)) if self.total_key else None
            last_page = _int(envelope.get(self.total_pages_key)) if self.total_pages_key else None
            served = _int(envelope.get(self.size_key)) if self.size_key else None
            size = served if served is not None and served > 0 else self.page_size
            pages, seen = pages + 1, seen + len(page)
            yield page, total
            if (not page or len(page) < size or (total is not None and seen >= total)
                    or (last_page is not None and number - self.first_page + 1 >= last_page)):
                return
            if pages >= self.max_pages:
                raise EndlessPaging(pages, seen)
            number += 1


@dataclass(frozen=True)
class CursorPaging:
    """An opaque cursor: each page names the next in its envelope (`meta.nextToken`), the
    request passes it back (`next-token`); no cursor, or an empty page, is the end. A
    cursor served twice in a row would loop: the read stops there with `EndlessPaging`,
    as it does past `max_pages`."""

    token_param: str
    size_param: str
    page_size: int
    records_path: tuple[str, ...] = ("items",)
    next_path: tuple[str, ...] = ("meta", "nextToken")
    total_path: tuple[str, ...] | None = None
    max_pages: int = MAX_PAGES

    def sized(self, page_size: int) -> CursorPaging:
        return replace(self, page_size=max(1, min(page_size, self.page_size)))

    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], int | None]]:
        token: str | None = None
        pages = seen = 0
        while True:
            cursor = [(self.token_param, token)] if token else []
            body, _ = fetch([*params, (self.size_param, self.page_size), *cursor])
            page = records_at(body, self.records_path)
            pages, seen = pages + 1, seen + len(page)
            yield page, _int(_at(body, self.total_path)) if self.total_path else None
            following = _at(body, self.next_path)
            if not page or not isinstance(following, str) or not following:
                return
            if following == token or pages >= self.max_pages:
                raise EndlessPaging(pages, seen)
            token = following


def _at(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    return body


@dataclass(frozen=True)
class Unpaged:
    """One request returns the whole collection."""

    records_path: tuple[str, ...] = ()

    def sized(self, page_size: int) -> Unpaged:
        return self  # the whole collection, whatever the size

    def pages(self, fetch: Fetch, params: Params) -> Iterator[tuple[list[Record], int | None]]:
        body, _ = fetch(list(params))
        page = records_at(body, self.records_path)
        yield page, len(page)
