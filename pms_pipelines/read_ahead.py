"""One bounded read-ahead for every place that overlaps producing with consuming: the
next PMS page is fetched while this one is mapped, the next shard batch is read while
this one is applied. Both sides mostly wait on I/O, so one thread is enough."""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def read_ahead(items: Iterator[T], name: str = "read-ahead") -> Iterator[T]:
    """`items`, produced one step ahead in a thread. Bounded (one item waits in the
    queue, one is being made), so memory stays flat; the producer's error is raised in
    the caller at its position; closing the result early stops the producer after its
    current step and closes `items` in the producer's thread, where it runs."""
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    close = getattr(items, "close", None)
                    if close is not None:
                        close()
                    return
            put(("end", None))
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            put(("error", error))

    # The caller's context (the pull's error counter among it) goes with the producer.
    context = contextvars.copy_context()
    producer = threading.Thread(target=context.run, args=(produce,), name=name, daemon=True)
    producer.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        producer.join(timeout=5)
