"""The plumbing under the kit's one sandbox (`sandbox_serve`), apart from what a vendor
declares (`sandbox_api`).

Here: fault settings and their rolls (`kit.sandbox.FAULTS`), the per-client one-second
rate window, response counters, the `POST /_sandbox/faults` and `/_sandbox/churn`
controls, latency and truncated-body injection, and starting and stopping the server
and churn threads. `sandbox_serve` subclasses `SandboxState`, `SandboxHandler` (its
`serve_get`, error bodies and extra POST endpoints) and `RunningServer`.
"""

from __future__ import annotations

import collections
import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Generic, Protocol, TypeVar
from urllib.parse import SplitResult, urlsplit

from pms_pipelines.integrations.kit.sandbox import FAULTS


class Store(Protocol):
    agency_id: str


StoreT = TypeVar("StoreT", bound=Store)
Churn = Callable[[Any, random.Random, datetime], dict[str, int]]
RunningT = TypeVar("RunningT", bound="RunningServer")


class SandboxState(Generic[StoreT]):
    """What all request handlers of one sandbox share besides the provider's own lookups:
    its agency stores, rate windows, faults, counters and the seeded rngs."""

    def __init__(self, stores: list[StoreT], churn: Churn, rate_limit_per_s: float | None,
                 faults: dict | None, seed: int) -> None:
        self.stores = stores
        self._churn = churn
        self.rate_limit_per_s = rate_limit_per_s
        self.windows: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque)
        self.faults = dict.fromkeys(FAULTS, 0.0)
        self.counts: collections.Counter[str] = collections.Counter()  # "200", "429", "truncated"
        self.lock = threading.Lock()
        # Two rngs off one seed: fault rolls and churn stay reproducible apart from each other.
        self.fault_rng = random.Random(seed)
        self.churn_rng = random.Random(seed + 1)
        self.set_faults(faults or {})

    def set_faults(self, faults: dict) -> None:
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(FAULTS)}")
        with self.lock:
            self.faults.update({k: float(v) for k, v in faults.items()})

    def roll(self, name: str) -> bool:
        with self.lock:
            return self.fault_rng.random() < self.faults[name]

    def over_rate(self, client_id: str) -> bool:
        """More than the limit in the last second (rejected requests are not counted)."""
        if self.rate_limit_per_s is None:
            return False
        now = time.monotonic()
        with self.lock:
            window = self.windows[client_id]
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= self.rate_limit_per_s:
                return True
            window.append(now)
            return False

    def churn_once(self) -> dict[str, dict[str, int]]:
        now = datetime.now(timezone.utc)
        # Under the lock so a churn thread and `POST /_sandbox/churn` draw the rng in turn.
        with self.lock:
            return {s.agency_id: self._churn(s, self.churn_rng, now) for s in self.stores}


class SandboxHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 JSON responses with fault injection; the provider serves `serve_get`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms stalls
    content_type = "application/json; charset=utf-8"
    log: logging.Logger  # the provider's sandbox logger
    state: SandboxState  # set on the per-server subclass

    def log_message(self, fmt: str, *args: Any) -> None:
        self.log.info("%s %s", self.address_string(), fmt % args)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              truncate: bool = False) -> None:
        with self.state.lock:
            self.state.counts["truncated" if truncate else str(status)] += 1
        if truncate:
            body = body[: max(1, len(body) // 2)]  # a connection cut mid-body
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def send_data(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """A route's answer; a 200 may be cut short (only a 200 rolls, as before)."""
        self._send(status, body, headers, truncate=status == 200 and self.state.roll("p_truncate"))

    def throttled(self, client_id: str) -> bool:
        """Over the rate limit, or a rolled 429."""
        return self.state.over_rate(client_id) or self.state.roll("p429")

    # Provider hooks.
    def serve_get(self, url: SplitResult) -> None:
        raise NotImplementedError

    def bad_request_body(self, message: str) -> bytes:
        raise NotImplementedError

    def not_found_body(self, path: str) -> bytes:
        raise NotImplementedError

    def post_extra(self, path: str, payload: bytes) -> bool:
        """Serve a provider POST endpoint (a token endpoint, a control); False if none."""
        return False

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        try:
            if self.post_extra(path, payload):
                return None
            if path == "/_sandbox/faults":
                self.state.set_faults(json.loads(payload or b"{}"))
                return self._send(200, json.dumps(self.state.faults).encode())
            if path == "/_sandbox/churn":
                return self._send(200, json.dumps(self.state.churn_once()).encode())
        except ValueError as exc:
            return self._send(400, self.bad_request_body(str(exc)))
        self._send(404, self.not_found_body(path))

    def delay(self) -> None:
        """The `latency_ms` fault: a slow answer (`serve_get` calls it where the request
        counts as in flight)."""
        latency_ms = self.state.faults["latency_ms"]
        if latency_ms:
            time.sleep(latency_ms / 1000)

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path == "/_sandbox/health":
            return self._send(200, b'{"ok": true}')
        self.serve_get(url)


@dataclass
class RunningServer(Generic[StoreT]):
    """A started sandbox: its URL, shared state and server; `.stop()` ends both threads."""

    base_url: str
    state: SandboxState[StoreT] = field(repr=False)
    server: ThreadingHTTPServer = field(repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def churn_once(self) -> dict[str, dict[str, int]]:
        """Change, add and remove or archive a few records of every agency now; returns
        the counts."""
        return self.state.churn_once()

    def set_faults(self, faults: dict) -> None:
        """Any of latency_ms, p429, p5xx, p_truncate; unspecified ones keep their value."""
        self.state.set_faults(faults)

    def store(self, agency_id: str) -> StoreT:
        return next(s for s in self.state.stores if s.agency_id == agency_id)


def start_server(running: type[RunningT], state: SandboxState, handler: type[SandboxHandler],
                 *, name: str, host: str, port: int, path: str = "",
                 churn_seconds: float | None = None) -> RunningT:
    """Serve `handler` in a background thread (and churn every `churn_seconds`);
    `name` is the provider's, for thread and logger names."""
    bound = type("BoundHandler", (handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), bound)
    server.daemon_threads = True  # a client holding a keep-alive open must not block exit
    threading.Thread(target=server.serve_forever, args=(0.05,), name=f"{name}-sandbox",
                     daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    sandbox = running(f"http://{bound_host}:{bound_port}{path}", state, server)
    if churn_seconds:
        log = logging.getLogger(f"pms_pipelines.sandbox.{name}")

        def churn_forever() -> None:
            while not sandbox._stopping.wait(churn_seconds):
                log.info("churn: %s", sandbox.churn_once())
        threading.Thread(target=churn_forever, name=f"{name}-churn", daemon=True).start()
    return sandbox


def parse_time(value: str) -> datetime:
    """An ISO-8601 time from a request or a fixture, strictly (a bad one is the caller's
    400); one without an offset is taken as UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
