"""The Reapit sandbox's HTTP side: the token endpoint, the four collections, Reapit's
paging, filters and error bodies, its rate limit, and the `/_sandbox/...` controls."""

from __future__ import annotations

import base64
import collections
import json
import logging
import random
import secrets
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from pms_pipelines.integrations.reapit.sandbox.generate import churn_once
from pms_pipelines.integrations.reapit.sandbox.store import (
    COLLECTIONS, CustomerStore, Record, parse_time, reapit_time,
)

log = logging.getLogger("pms_pipelines.sandbox.reapit")
DEFAULT_FAULTS = {"latency_ms": 0.0, "p429": 0.0, "p5xx": 0.0, "p_truncate": 0.0}
ROUTES = {path: name for name, path in COLLECTIONS.items()}
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 25, 100
MAX_CONCURRENT_PER_CUSTOMER = 5
# The boolean filters each collection offers (spec: `Only return … where … matches`).
FLAGS = {"properties": ("fromArchive",), "contacts": ("fromArchive", "active"),
         "tenancies": ("fromArchive",), "landlords": ("active",)}
STRICTLY_AFTER = {"tenancies"}  # its modifiedFrom is documented as "after"


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def error_body(status: int, description: str) -> bytes:
    """Reapit's `ApiErrorModel`."""
    return json.dumps({"statusCode": status, "dateTime": reapit_time(datetime.now(timezone.utc)),
                       "description": description}).encode()


def without_nulls(node: Any) -> Any:
    """Reapit's models declare no field nullable: an absent value is left out."""
    if isinstance(node, dict):
        return {k: without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [without_nulls(v) for v in node]
    return node


class SandboxState:
    """What the handlers share: customers, app credentials, tokens, rate windows, faults."""

    def __init__(self, customers: list[CustomerStore], clients: dict[str, str],
                 rate_limit_per_s: float | None, faults: dict | None, seed: int,
                 token_ttl_s: float) -> None:
        self.by_customer = {c.customer_id: c for c in customers}
        self.clients = clients  # client id → secret (one app may serve several customers)
        self.tokens: dict[str, tuple[str, float]] = {}  # token → (client id, expiry)
        self.token_ttl_s = token_ttl_s
        self.token_requests = 0
        self.rate_limit_per_s = rate_limit_per_s
        self.windows: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque)
        self.in_flight: collections.Counter[str] = collections.Counter()
        self.faults = dict(DEFAULT_FAULTS)
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

    def issue_token(self, client_id: str) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.token_requests += 1
            self.tokens[token] = (client_id, time.monotonic() + self.token_ttl_s)
        return token

    def token_client(self, token: str) -> str | None:
        with self.lock:
            client_id, expires = self.tokens.get(token, (None, 0.0))
        return client_id if expires > time.monotonic() else None

    def expire_tokens(self) -> int:
        """Every issued token stops working now (as if its `expires_in` ran out)."""
        with self.lock:
            count, self.tokens = len(self.tokens), {}
        return count

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
            return {c.agency_id: churn_once(c, self.churn_rng, now)
                    for c in self.by_customer.values()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ReapitSandbox/1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms stalls
    state: SandboxState  # set on the per-server subclass

    def log_message(self, fmt: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), fmt % args)

    def _send(self, status: int, body: bytes, truncate: bool = False) -> None:
        if truncate:
            body = body[: max(1, len(body) // 2)]  # a connection cut mid-body
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", secrets.token_hex(16))
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length).decode() if length else ""
        return {k: v[0] for k, v in parse_qs(payload).items()}

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        if path == "/token":
            return self._token(self._form())
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b"{}"
        try:
            if path == "/_sandbox/faults":
                self.state.set_faults(json.loads(payload or b"{}"))
                return self._send(200, json.dumps(self.state.faults).encode())
            if path == "/_sandbox/churn":
                return self._send(200, json.dumps(self.state.churn_once()).encode())
            if path == "/_sandbox/expire-tokens":
                return self._send(200, json.dumps({"expired": self.state.expire_tokens()}).encode())
        except ValueError as exc:
            return self._send(400, error_body(400, str(exc)))
        self._send(404, error_body(404, "The requested resource was not found."))

    def _token(self, form: dict[str, str]) -> None:
        """Client credentials: HTTP Basic `client_id:client_secret`, form `grant_type`."""
        if form.get("grant_type") != "client_credentials":
            return self._send(400, b'{"error": "unsupported_grant_type"}')
        user, secret = "", ""
        scheme, _, encoded = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, secret = base64.b64decode(encoded).decode().partition(":")
            except ValueError:
                pass
        if (not user or self.state.clients.get(user) != secret
                or form.get("client_id", user) != user):
            return self._send(400, b'{"error": "invalid_client"}')
        token = self.state.issue_token(user)
        self._send(200, json.dumps({"access_token": token, "token_type": "Bearer",
                                    "expires_in": int(self.state.token_ttl_s)}).encode())

    def do_GET(self) -> None:  # noqa: N802
        if self.state.faults["latency_ms"]:
            time.sleep(self.state.faults["latency_ms"] / 1000)
        url = urlsplit(self.path)
        if url.path == "/_sandbox/health":
            return self._send(200, b'{"ok": true}')
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        client_id = self.state.token_client(token) if scheme.lower() == "bearer" else None
        if client_id is None:
            return self._send(401, error_body(401, "The access token is missing, invalid "
                                                   "or expired."))
        customer = self.state.by_customer.get(self.headers.get("reapit-customer", ""))
        if customer is None or customer.client_id != client_id:
            return self._send(403, error_body(403, "The application is not installed for "
                                                   "this customer."))
        if not self.headers.get("api-version"):
            return self._send(400, error_body(400, "The api-version header is required."))
        with self.state.lock:
            # Concurrency is part of the rate limit: off with it (--no-rate-limit).
            busy = (self.state.rate_limit_per_s is not None and
                    self.state.in_flight[customer.customer_id] >= MAX_CONCURRENT_PER_CUSTOMER)
            self.state.in_flight[customer.customer_id] += 1
        try:
            if busy or self.state.over_rate(client_id) or self.state.roll("p429"):
                return self._send(429, error_body(429, "Too many requests."))
            if self.state.roll("p5xx"):
                return self._send(500, error_body(500, "An unexpected error occurred."))
            try:
                body = self._route(customer, url.path, parse_qs(url.query))
            except ApiError as exc:
                return self._send(exc.status, error_body(exc.status, exc.description))
            self._send(200, body, truncate=self.state.roll("p_truncate"))
        finally:
            with self.state.lock:
                self.state.in_flight[customer.customer_id] -= 1

    def _route(self, customer: CustomerStore, path: str, query: dict[str, list[str]]) -> bytes:
        collection = ROUTES.get(path if path.endswith("/") else path + "/")
        if collection is None:
            raise ApiError(404, "The requested resource was not found.")
        size = _int(query, "pageSize", DEFAULT_PAGE_SIZE)
        number = _int(query, "pageNumber", 1)
        if not 1 <= size <= MAX_PAGE_SIZE or number < 1:
            raise ApiError(400, "pageSize must be between 1 and 100 and pageNumber at least 1.")
        since, until = _time(query, "modifiedFrom"), _time(query, "modifiedTo")
        flags = {name: _bool(query, name) for name in FLAGS[collection] if name in query}
        ids = set(query.get("id", []))
        embed_roles = "relationships" in query.get("embed", [])

        def where(record: Record) -> bool:
            if ids and record["id"] not in ids:
                return False
            return all(bool(record.get(k)) == v for k, v in flags.items())

        records = customer.select(collection, since=since, until=until, where=where,
                                  strictly_after=collection in STRICTLY_AFTER)
        page = records[(number - 1) * size:number * size]
        if collection == "contacts" and not embed_roles:
            for record in page:
                record.pop("relationships", None)
        total_pages = max(1, -(-len(records) // size))
        body = {"_embedded": page, "pageNumber": number, "pageSize": size,
                "pageCount": len(page), "totalPageCount": total_pages,
                "totalCount": len(records), "_links": _links(path, query, number, total_pages)}
        return json.dumps(without_nulls(body)).encode()


def _links(path: str, query: dict[str, list[str]], number: int, last: int) -> dict[str, Any]:
    def href(page: int) -> dict[str, str]:
        rest = [(k, v) for k, vs in query.items() if k != "pageNumber" for v in vs]
        return {"href": f"{path}?{urlencode([('pageNumber', page), *rest])}"}

    links = {"self": href(number), "first": href(1), "last": href(last)}
    if number < last:
        links["next"] = href(number + 1)
    if number > 1:
        links["prev"] = href(number - 1)
    return links


def _int(query: dict[str, list[str]], key: str, default: int) -> int:
    try:
        return int(query[key][0]) if key in query else default
    except ValueError:
        raise ApiError(400, f"{key} must be an integer.") from None


def _bool(query: dict[str, list[str]], key: str) -> bool:
    value = query[key][0].lower()
    if value not in ("true", "false"):
        raise ApiError(400, f"{key} must be true or false.")
    return value == "true"


def _time(query: dict[str, list[str]], key: str) -> datetime | None:
    if key not in query:
        return None
    try:
        return parse_time(query[key][0])
    except ValueError:
        raise ApiError(400, f"{key} must be an ISO-8601 date and time with a zone "
                            "designator.") from None


def make_server(state: SandboxState, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
