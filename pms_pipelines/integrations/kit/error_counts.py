"""Counting a PMS's error answers for the run's metrics (`VendorErrors`).

`ApiSender` reports every error answer it gets — retried or not — to the counter of the
pull it serves: a context variable, so concurrent pulls in one process keep apart, and
`read_ahead` carries it into its thread with the rest of the context.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_COUNTS: ContextVar[tuple[Counter[str], threading.Lock] | None] = ContextVar(
    "pms_error_counts", default=None)

CONNECTION = "connection"  # no answer at all: refused, reset, timed out
UNREADABLE = "unreadable"  # an answer whose JSON body could not be read


@contextmanager
def counting_errors() -> Iterator[Counter[str]]:
    """Error answers met inside the block, by HTTP status (or CONNECTION/UNREADABLE)."""
    counts: Counter[str] = Counter()
    token = _COUNTS.set((counts, threading.Lock()))
    try:
        yield counts
    finally:
        _COUNTS.reset(token)


def count_error(status: int | str) -> None:
    current = _COUNTS.get()
    if current is not None:
        counts, lock = current
        with lock:
            counts[str(status)] += 1
