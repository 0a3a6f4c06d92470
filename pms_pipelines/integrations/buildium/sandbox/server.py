"""The sandbox HTTP server: Buildium's paths, header auth, paging, filters, 429s and
error bodies, plus fault injection (`POST /_sandbox/faults`) and churn."""

from __future__ import annotations

import collections
import json
import logging
import random
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pms_pipelines.integrations.buildium.sandbox.generate import churn_once
from pms_pipelines.integrations.buildium.sandbox.store import COLLECTIONS, AgencyStore, parse_time

log = logging.getLogger("pms_pipelines.sandbox.buildium")
DEFAULT_FAULTS = {"latency_ms": 0.0, "p429": 0.0, "p5xx": 0.0, "p_truncate": 0.0}
MAX_LIMIT, DEFAULT_LIMIT = 1000, 50
ROUTES = {path: name for name, path in COLLECTIONS.items()}
# Filters each endpoint accepts besides lastupdatedfrom/to, and the record field they match.
ID_FILTERS = {"/v1/rentals": ("propertyids", "Id"), "/v1/rentals/units": ("propertyids",
              "PropertyId"), "/v1/leases/rent": ("leaseids", "LeaseId")}


class BadRequest(Exception):
    def __init__(self, key: str, value: str) -> None:
        super().__init__(value)
        self.key, self.value = key, value


def error_body(message: str, code: str, errors: list[tuple[str, str]] = ()) -> bytes:
    """Buildium's `ApiErrorResponse`."""
    return json.dumps({"UserMessage": message, "ErrorCode": code,
                       "Errors": [{"Key": k, "Value": v} for k, v in errors]}).encode()


class SandboxState:
    """Everything the request handlers share: agencies, rate windows, faults, churn rng."""

    def __init__(self, agencies: list[AgencyStore], rate_limit_per_s: float | None,
                 faults: dict | None, seed: int) -> None:
        self.by_client = {a.client_id: a for a in agencies}
        self.rate_limit_per_s = rate_limit_per_s
        self.windows: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque)
        self.faults = dict(DEFAULT_FAULTS)
        self.counts: collections.Counter[str] = collections.Counter()  # "200", "429", "truncated"
        self.lock = threading.Lock()
        self.fault_rng = random.Random(seed)
        self.churn_rng = random.Random(seed + 1)
        self.set_faults(faults or {})

    def set_faults(self, faults: dict) -> None:
        unknown = set(faults) - set(DEFAULT_FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(DEFAULT_FAULTS)}")
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
        with self.lock:
            return {a.agency_id: churn_once(a, self.churn_rng, now)
                    for a in self.by_client.values()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BuildiumSandbox/1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms stalls
    state: SandboxState  # set on the per-server subclass

    def log_message(self, fmt: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), fmt % args)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              truncate: bool = False) -> None:
        with self.state.lock:
            self.state.counts["truncated" if truncate else str(status)] += 1
        if truncate:
            body = body[: max(1, len(body) // 2)]  # a connection cut mid-body
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b"{}"
        path = urlsplit(self.path).path
        try:
            if path == "/_sandbox/faults":
                self.state.set_faults(json.loads(payload or b"{}"))
                return self._send(200, json.dumps(self.state.faults).encode())
            if path == "/_sandbox/churn":
                return self._send(200, json.dumps(self.state.churn_once()).encode())
        except ValueError as exc:
            return self._send(400, error_body(str(exc), "BadRequest"))
        self._send(404, error_body("The requested resource was not found.", "NotFound"))

    def do_GET(self) -> None:  # noqa: N802
        faults = self.state.faults
        if faults["latency_ms"]:
            time.sleep(faults["latency_ms"] / 1000)
        url = urlsplit(self.path)
        if url.path == "/_sandbox/health":
            return self._send(200, b'{"ok": true}')
        agency = self.state.by_client.get(self.headers.get("x-buildium-client-id", ""))
        secret = self.headers.get("x-buildium-client-secret", "")
        if agency is None or secret != agency.client_secret:
            return self._send(401, error_body(
                "The API client ID and secret weren't provided or are no longer valid.",
                "Unauthorized"))
        if self.state.over_rate(agency.client_id) or self.state.roll("p429"):
            return self._send(429, error_body("Too many requests.", "TooManyRequests"))
        if self.state.roll("p5xx"):
            return self._send(503, error_body("The service is temporarily unavailable.",
                                              "ServiceUnavailable"))
        try:
            status, body, headers = self._route(agency, url.path, parse_qs(url.query))
        except BadRequest as exc:
            return self._send(400, error_body("The request is invalid.", "BadRequest",
                                              [(exc.key, exc.value)]))
        self._send(status, body, headers, truncate=status == 200 and self.state.roll("p_truncate"))

    def _route(self, agency: AgencyStore, path: str, query: dict[str, list[str]]
               ) -> tuple[int, bytes, dict[str, str]]:
        if path.startswith("/v1/leases/") and path.rsplit("/", 1)[-1].isdigit():
            found = agency.select("leases", where=lambda r: r["Id"] == int(path.rsplit("/", 1)[-1]))
            if not found:
                return 404, error_body("The lease was not found.", "NotFound"), {}
            return 200, json.dumps(found[0]).encode(), {}
        collection = ROUTES.get(path)
        if collection is None:
            return 404, error_body("The requested resource was not found.", "NotFound"), {}
        since, until = _time(query, "lastupdatedfrom"), _time(query, "lastupdatedto")
        offset = _int(query, "offset", 0, 0)
        limit = min(_int(query, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)  # >1000 becomes 1000
        where = None
        if path in ID_FILTERS and ID_FILTERS[path][0] in query:
            name, field = ID_FILTERS[path]
            wanted = {int(v) for v in query[name] if v.lstrip("-").isdigit()}
            where = lambda r: r.get(field) in wanted  # noqa: E731
        records = agency.select(collection, since=since, until=until, where=where)
        page = records[offset:offset + limit]
        return 200, json.dumps(page).encode(), {"X-Total-Count": str(len(records))}


def _time(query: dict[str, list[str]], key: str) -> datetime | None:
    if key not in query:
        return None
    try:
        return parse_time(query[key][0])
    except ValueError:
        raise BadRequest(key, "must be formatted as YYYY-MM-DDTHH:MM:SSZ") from None


def _int(query: dict[str, list[str]], key: str, default: int, minimum: int) -> int:
    if key not in query:
        return default
    try:
        value = int(query[key][0])
    except ValueError:
        raise BadRequest(key, "must be an integer") from None
    if value < minimum:
        raise BadRequest(key, f"must be at least {minimum}")
    return value


def make_server(state: SandboxState, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
