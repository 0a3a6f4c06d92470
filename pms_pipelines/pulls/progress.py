"""Progress of a long pull, logged at a human rate.

The REST client reports every page (`PageRead`); `PullProgress` turns those into a log
line every `every_s` seconds: pages and records so far, and what is left of the
collection being read, from the total the API gave (Buildium's `X-Total-Count`,
Reapit's `totalCount`) or "total unknown" when it gives none. A pull shorter than
`every_s` logs nothing here; `pull_and_publish` logs its summary at the end anyway.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from pms_pipelines.integrations.kit.paging import PageRead

EVERY_S = 10.0


class PullProgress:
    def __init__(self, log: Callable[[str], None], label: str, *, every_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.label, self.clock = log, label, clock
        self.every_s = EVERY_S if every_s is None else every_s
        self.started = self.last = clock()
        self.pages = self.records = 0

    def __call__(self, read: PageRead) -> None:
        self.pages += 1
        self.records += read.page_records
        now = self.clock()
        if now - self.last < self.every_s:
            return
        self.last = now
        self.log(self.line(read, now - self.started))

    def line(self, read: PageRead, elapsed: float) -> str:
        done = (f"{self.label}: {self.pages} pages, {self.records} records in {elapsed:.0f}s"
                f"; {read}")
        if read.total is None:
            return f"{done} (the API gives no total: {read.pages} pages so far)"
        left = max(0, read.total - read.records)
        per_page = max(1, read.records // max(1, read.pages))
        pace = self.records / elapsed if elapsed > 0 else 0.0
        eta = f", ~{left / pace:.0f}s at this pace" if pace > 0 else ""
        return f"{done}, {left} left (~{math.ceil(left / per_page)} pages{eta})"
