"""Offset paging with pages in flight: every record once, in order, whatever the provider
does to the page size or the collection between pages."""

from __future__ import annotations

import threading

import pytest

from pms_pipelines.integrations.kit.paging import EndlessPaging, OffsetPaging, PageNumberPaging
from pms_pipelines.read_ahead import read_ahead


class Provider:
    """A collection served by offset/limit with X-Total-Count, callable from threads."""

    def __init__(self, count: int, max_limit: int = 1000) -> None:
        self.records = [{"Id": i} for i in range(count)]
        self.max_limit = max_limit
        self.asked: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, params: list[tuple[str, object]]) -> tuple[list[dict], dict[str, str]]:
        query = dict(params)
        offset, limit = int(query["offset"]), min(int(query["limit"]), self.max_limit)
        with self.lock:
            self.asked.append(offset)
            return self.records[offset:offset + limit], {"X-Total-Count": str(len(self.records))}


@pytest.mark.parametrize("in_flight", [1, 4])
def test_every_record_once_in_order(in_flight: int) -> None:
    provider = Provider(23)
    paging = OffsetPaging(page_size=5, total_header="X-Total-Count", in_flight=in_flight)
    pages = list(paging.pages(provider, []))
    assert [r["Id"] for page, _ in pages for r in page] == list(range(23))
    assert [total for _, total in pages] == [23] * 5
    assert sorted(provider.asked) == [0, 5, 10, 15, 20]  # nothing asked twice or past the end


def test_a_provider_capping_the_limit_loses_nothing() -> None:
    provider = Provider(23, max_limit=3)  # asked for 5, answers 3
    paging = OffsetPaging(page_size=5, total_header="X-Total-Count", in_flight=4)
    assert [r["Id"] for page, _ in paging.pages(provider, []) for r in page] == list(range(23))


def test_records_added_during_the_pull_are_read_to_the_new_total() -> None:
    provider = Provider(10)
    paging = OffsetPaging(page_size=5, total_header="X-Total-Count", in_flight=4)
    seen = []
    for page, _ in paging.pages(provider, []):
        seen += [r["Id"] for r in page]
        if len(seen) == 5:
            provider.records += [{"Id": i} for i in range(10, 13)]
    assert seen == list(range(13))


def test_an_error_in_a_page_in_flight_reaches_the_caller() -> None:
    provider = Provider(30)

    def failing(params: list[tuple[str, object]]) -> tuple[list[dict], dict[str, str]]:
        if dict(params)["offset"] == 15:
            raise RuntimeError("page 4 failed")
        return provider(params)

    paging = OffsetPaging(page_size=5, total_header="X-Total-Count", in_flight=4)
    seen = []
    with pytest.raises(RuntimeError, match="page 4 failed"):
        for page, _ in read_ahead(paging.pages(failing, [])):
            seen += [r["Id"] for r in page]
    assert seen == list(range(15))


def test_closing_early_stops_asking() -> None:
    provider = Provider(1000)
    paging = OffsetPaging(page_size=5, total_header="X-Total-Count", in_flight=4)
    pages = read_ahead(paging.pages(provider, []))
    next(pages)
    pages.close()
    asked = len(provider.asked)
    assert asked < 20  # a few pages ahead at most, not the collection


def test_a_provider_capping_the_limit_is_paged_at_its_size_without_waste() -> None:
    """After one short page the read asks for what the provider serves: every request it
    sends is a page it uses (it once threw away the pages asked ahead after every short
    page, spending the agency's rate budget on requests it never read)."""
    provider = Provider(23, max_limit=3)
    paging = OffsetPaging(page_size=5, total_header="X-Total-Count", in_flight=4)
    pages = [r["Id"] for page, _ in paging.pages(provider, []) for r in page]
    assert pages == list(range(23))
    assert sorted(provider.asked) == list(range(0, 23, 3))


def test_a_total_larger_than_the_collection_ends_on_the_empty_page() -> None:
    provider = Provider(7)
    lying = lambda params: (provider(params)[0], {"X-Total-Count": "100"})  # noqa: E731
    paging = OffsetPaging(page_size=5, total_header="X-Total-Count", in_flight=4)
    assert [r["Id"] for page, _ in paging.pages(lying, []) for r in page] == list(range(7))
    assert len(provider.asked) <= 6  # the first, up to 4 asked ahead, one probe


@pytest.mark.parametrize("in_flight", [1, 4])
def test_a_provider_that_never_stops_serving_pages_is_stopped(in_flight: int) -> None:
    """An endpoint ignoring `offset` with a total it never reaches: bounded, and a clear
    error rather than a pull that never ends (or one that ends as if complete)."""
    endless = lambda params: ([{"Id": 1}] * 5, {"X-Total-Count": str(10**9)})  # noqa: E731
    paging = OffsetPaging(page_size=5, total_header="X-Total-Count", in_flight=in_flight,
                          max_pages=40)
    with pytest.raises(EndlessPaging, match="after 40 pages"):
        for _ in paging.pages(endless, []):
            pass


class Numbered:
    """A page-number endpoint answering every page with the same envelope."""

    def __init__(self, envelope: dict) -> None:
        self.envelope, self.asked = envelope, []

    def __call__(self, params: list[tuple[str, object]]) -> tuple[dict, dict]:
        self.asked.append(dict(params)["pageNumber"])
        return self.envelope, {}


def test_page_numbers_stop_on_the_vendor_page_count() -> None:
    """Reapit's own example: totalCount 25, one record a page, totalPageCount 1 (it made
    25 requests for that one record)."""
    provider = Numbered({"_embedded": [{"id": "OXF200008"}], "pageNumber": 1, "pageSize": 1,
                         "pageCount": 1, "totalPageCount": 1, "totalCount": 25})
    assert [len(page) for page, _ in PageNumberPaging().pages(provider, [])] == [1]
    assert provider.asked == [1]


def test_page_numbers_stop_on_a_short_page() -> None:
    provider = Numbered({"_embedded": [{"id": "A"}], "pageSize": 100, "totalCount": 25})
    list(PageNumberPaging().pages(provider, []))
    assert provider.asked == [1]


def test_page_numbers_that_never_end_are_stopped() -> None:
    provider = Numbered({"_embedded": [{"id": "A"}] * 2, "pageSize": 2, "totalCount": 10**9})
    with pytest.raises(EndlessPaging, match="after 30 pages"):
        list(PageNumberPaging(page_size=2, max_pages=30).pages(provider, []))
    assert len(provider.asked) == 30
