"""Progress of long pulls: a line every few seconds with pages, records and what is left."""

from __future__ import annotations

from pms_pipelines.integrations.kit.paging import PageRead
from pms_pipelines.pulls.progress import PullProgress


def test_a_line_every_few_seconds_not_every_page() -> None:
    clock = {"t": 0.0}
    lines: list[str] = []
    report = PullProgress(lines.append, "buildium/a/property", every_s=10.0,
                          clock=lambda: clock["t"])
    for page in range(1, 101):  # 100 pages of 50, one every 0.5 s
        clock["t"] += 0.5
        report(PageRead("/v1/rentals/units", page, page * 50, 10_000, 50))
    assert len(lines) == 5  # at 10, 20, 30, 40, 50 s
    assert lines[0] == ("buildium/a/property: 20 pages, 1000 records in 10s; "
                        "GET /v1/rentals/units: page 20, 1000 of 10000 records, "
                        "9000 left (~180 pages, ~90s at this pace)")


def test_without_a_total_it_says_pages_so_far() -> None:
    clock = {"t": 0.0}
    lines: list[str] = []
    report = PullProgress(lines.append, "propertyme/a/tenant", every_s=1.0,
                          clock=lambda: clock["t"])
    clock["t"] = 2.0
    report(PageRead("/v1/contacts", 3, 300, None, 100))
    assert lines == ["propertyme/a/tenant: 1 pages, 100 records in 2s; GET /v1/contacts: "
                     "page 3, 300 records (the API gives no total: 3 pages so far)"]
