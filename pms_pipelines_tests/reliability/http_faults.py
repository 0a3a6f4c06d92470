"""PMS faults on the wire: a seeded stand-in for `requests.Session.send` that answers a
share of requests itself (429 with and without `Retry-After`, 500, 502, 503, a read
timeout) or cuts a real response's JSON body short. Everything else goes to the sandbox.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from pms_pipelines_tests.integrations.wire_tap import WireTap

KINDS = ("429 Retry-After", "429", "500", "502", "503", "timeout", "truncated JSON")


class HttpFaults(WireTap):
    def __init__(self, rate: float, seed: int = 6,
                 after_request: Callable[[int], None] | None = None,
                 truncate_posts: bool = True) -> None:
        super().__init__()
        self.rate = rate
        # A truncated answer to a POST the server did process (a one-use refresh token
        # rotated) cannot be retried: it has its own test in test_pms_faults.py.
        self.truncate_posts = truncate_posts
        self.seed = seed
        self.rng = random.Random(seed)
        self.injected: Counter = Counter()
        self.requests = 0
        self.after_request = after_request  # e.g. expire tokens on the n-th request
        self.lock = threading.Lock()

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def send(self, session: requests.Session, prepared: requests.PreparedRequest, **kw: Any):
        with self.lock:
            self.requests += 1
            count = self.requests
            # Kinds in turn, so a few faults already cover them all; the second request
            # is always faulted, so even a short pull meets one.
            faulted = self.rng.random() < self.rate or (count == 2 and not self.total)
            kind = KINDS[(self.total + self.seed) % len(KINDS)] if faulted else None
            if kind == "truncated JSON" and prepared.method == "POST" and not self.truncate_posts:
                kind = "timeout"  # refused before the server sees it: safe to retry
            if kind:
                self.injected[kind] += 1
        if self.after_request is not None:
            self.after_request(count)
        if kind == "timeout":
            raise requests.ReadTimeout("injected read timeout")
        if kind is None or kind == "truncated JSON":
            response = self.forward(session, prepared, **kw)
            if kind and response.status_code == 200 and len(response.content) > 2:
                response._content = response.content[: len(response.content) // 2]
            return response
        status = int(kind[:3])
        headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        if kind == "429 Retry-After":
            headers["Retry-After"] = "0"
        response = requests.Response()
        response.status_code = status
        response.headers = headers
        response._content = b'{"message": "injected fault"}'
        response.url = prepared.url or ""
        response.request = prepared
        response.reason = "injected"
        return response
