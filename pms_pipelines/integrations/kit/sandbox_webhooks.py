"""The sandbox's webhooks: it notifies a subscriber of its own changes, signed as the
vendor signs them, and can misbehave on request (for tests and the reliability suite).

A declaration (`SandboxWebhooks`) says which collections' saves the vendor notifies
and with which event names, the notice body, and how a delivery is signed. Once a
sandbox is subscribed (`Outbox.subscribe(url)`), each save or removal of a notified
record queues a notice; a sender thread posts it, retrying a failed delivery (no
answer, 5xx) on the declared schedule and giving up after the last, as vendors do.
`drop_rate` loses notices on purpose (vendors do not guarantee delivery). Tests also
`deliver` one notice by hand, tampered, stale, replayed or sent twice.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import queue
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

Record = dict[str, Any]
log = logging.getLogger("pms_pipelines.sandbox.webhooks")


@dataclass(frozen=True)
class Notifies:
    """The events the vendor sends when a record of `collection` is created, updated
    or removed (None: it sends none)."""

    collection: str
    created: str | None
    updated: str | None
    removed: str | None = None


@dataclass(frozen=True)
class Change:
    """One notice to send: which agency, which event, about which record."""

    account: str
    secret: str
    event: str
    record_id: Any
    record: Record | None
    at: datetime
    notice_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class SigningKey:
    """The sandbox's own Ed25519 key (for vendors that sign with one), its id and the
    public half as the vendor serves it."""

    key_id: str
    private: Ed25519PrivateKey

    @staticmethod
    def new() -> SigningKey:
        return SigningKey(str(uuid.uuid4()), Ed25519PrivateKey.generate())

    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class SandboxWebhooks:
    """One vendor's webhooks as the sandbox sends them. `body(change, attempt)` is the
    notice; `sign(change, body, timestamp, key)` its headers."""

    notifies: tuple[Notifies, ...]
    body: Callable[[Change, int], Record]
    sign: Callable[[Change, bytes, int, SigningKey], dict[str, str]]
    retries_s: tuple[float, ...] = (1.0, 3.0, 10.0)  # the vendor's, shortened for tests
    timeout_s: float = 10.0  # how long the vendor waits for an answer
    key_path: str | None = None  # where the vendor serves its public signing keys

    def event(self, collection: str, created: bool, removed: bool) -> str | None:
        for notify in self.notifies:
            if notify.collection == collection:
                return notify.removed if removed else notify.created if created else notify.updated
        return None


@dataclass(frozen=True)
class Delivery:
    """One request as sent, so a test can send it again byte for byte (a replay)."""

    url: str
    headers: dict[str, str]
    body: bytes


class Outbox:
    """Queues a notice per save of a notified record once subscribed; a thread sends."""

    def __init__(self, declared: SandboxWebhooks, seed: int = 7) -> None:
        self.declared = declared
        self.key = SigningKey.new()
        self.url: str | None = None
        self.drop_rate = 0.0
        self.counts: Counter[str] = Counter()  # queued, sent, dropped, retried, given up
        self.delivered: list[tuple[Change, int]] = []  # (change, status) of each 2xx
        self._rng = random.Random(seed)
        # (due, order, attempt, change), soonest first; None stops the sender.
        self._queue: queue.PriorityQueue[Any] = queue.PriorityQueue()
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._thread: threading.Thread | None = None

    def subscribe(self, url: str | None) -> None:
        """Send notices of later changes to `url` (None: stop notifying)."""
        self.url = url
        if url is not None and self._thread is None:
            self._thread = threading.Thread(target=self._send_forever, daemon=True,
                                            name="sandbox-webhooks")
            self._thread.start()

    def stop(self) -> None:
        self.url = None
        self._queue.put((0.0, -1, 0, None))

    def changed(self, account: str, secret: str, collection: str, record_id: Any,
                record: Record | None, at: datetime, *, created: bool, removed: bool) -> None:
        """A notified record was saved or removed: queue its notice (when subscribed)."""
        if self.url is None:
            return
        event = self.declared.event(collection, created, removed)
        if event is None:
            return
        with self._lock:
            self.counts["queued"] += 1
            if self._rng.random() < self.drop_rate:
                self.counts["dropped"] += 1
                return
        snapshot = None if record is None else json.loads(json.dumps(record, default=str))
        self._queue.put((time.monotonic(), next(self._order), 1,
                         Change(account, secret, event, record_id, snapshot, at)))

    def delivery(self, change: Change, *, attempt: int = 1, timestamp: int | None = None,
                 key: SigningKey | None = None, url: str | None = None) -> Delivery:
        """The signed request for a notice (a test may sign with another key or time)."""
        body = json.dumps(self.declared.body(change, attempt)).encode()
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {"Content-Type": "application/json",
                   **self.declared.sign(change, body, stamp, key or self.key)}
        target = url or self.url
        if target is None:
            raise RuntimeError("the sandbox's webhooks are not subscribed to any URL")
        return Delivery(target, headers, body)

    def send(self, delivery: Delivery) -> requests.Response:
        return self._session.post(delivery.url, data=delivery.body, headers=delivery.headers,
                                  timeout=self.declared.timeout_s)

    def _send_forever(self) -> None:
        while True:
            item = self._queue.get()
            due, _, attempt, change = item
            if change is None:
                return
            if due > time.monotonic():  # the soonest is not due: look again shortly
                self._queue.put(item)
                time.sleep(0.02)
                continue
            self._attempt(change, attempt)

    def _attempt(self, change: Change, attempt: int) -> None:
        if self.url is None:
            return
        try:
            status = self.send(self.delivery(change, attempt=attempt)).status_code
        except requests.RequestException as error:
            status, said = 0, str(error)
        else:
            said = ""
        with self._lock:
            if 200 <= status < 300:
                self.counts["sent"] += 1
                self.delivered.append((change, status))
                return
            retry = (status == 0 or status >= 500) and attempt <= len(self.declared.retries_s)
            self.counts["retried" if retry else "given up"] += 1
        log.warning("webhook %s for %s: %s %s", change.event, change.account,
                    status or "no answer", said)
        if retry:
            due = time.monotonic() + self.declared.retries_s[attempt - 1]
            self._queue.put((due, next(self._order), attempt + 1, change))


def public_key_body(keys: list[SigningKey]) -> dict[str, Any]:
    """The vendor's answer naming these public keys (Reapit's `GET /webhooks/signing/{id}`:
    a JWK set of base64url `x`)."""
    return {"keys": [{"kid": k.key_id, "crv": "Ed25519",
                      "x": base64.urlsafe_b64encode(k.public_raw()).decode().rstrip("=")}
                     for k in keys]}
