"""The Reapit sandbox's HTTP side: the token endpoint, the four collections, Reapit's
paging, filters and error bodies, its rate limit, and `/_sandbox/expire-tokens`; faults,
churn and the server plumbing are the kit's (`kit.sandbox_server`)."""

from __future__ import annotations

import base64
import collections
import json
import logging
import secrets
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlencode, urlsplit

from pms_pipelines.integrations.kit import sandbox_server as kit
from pms_pipelines.integrations.reapit.sandbox.generate import churn_once
from pms_pipelines.integrations.reapit.sandbox.store import (
    COLLECTIONS, CustomerStore, Record, parse_time, reapit_time,
)

log = logging.getLogger("pms_pipelines.sandbox.reapit")
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


class SandboxState(kit.SandboxState[CustomerStore]):
    """The kit's shared state, plus customers, app credentials, tokens and requests in
    flight."""

    def __init__(self, customers: list[CustomerStore], clients: dict[str, str],
                 rate_limit_per_s: float | None, faults: dict | None, seed: int,
                 token_ttl_s: float) -> None:
        super().__init__(customers, churn_once, rate_limit_per_s, faults, seed)
        self.by_customer = {c.customer_id: c for c in customers}
        self.clients = clients  # client id → secret (one app may serve several customers)
        self.tokens: dict[str, tuple[str, float]] = {}  # token → (client id, expiry)
        self.token_ttl_s = token_ttl_s
        self.token_requests = 0
        self.in_flight: collections.Counter[str] = collections.Counter()

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


class Handler(kit.SandboxHandler):
    server_version = "ReapitSandbox/1"
    log = log
    state: SandboxState  # set on the per-server subclass

    def default_headers(self) -> dict[str, str]:
        return {"x-amzn-RequestId": secrets.token_hex(16)}

    def bad_request_body(self, message: str) -> bytes:
        return error_body(400, message)

    def not_found_body(self, path: str) -> bytes:
        return error_body(404, "The requested resource was not found.")

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length).decode() if length else ""
        return {k: v[0] for k, v in parse_qs(payload).items()}

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        # The token endpoint reads a form, outside the kit's JSON controls.
        if urlsplit(self.path).path == "/token":
            return self._token(self._form())
        super().do_POST()

    def post_extra(self, path: str, payload: bytes) -> bool:
        if path != "/_sandbox/expire-tokens":
            return False
        self._send(200, json.dumps({"expired": self.state.expire_tokens()}).encode())
        return True

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

    def serve_get(self, url: SplitResult) -> None:
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
            if busy or self.throttled(client_id):
                return self._send(429, error_body(429, "Too many requests."))
            if self.state.roll("p5xx"):
                return self._send(500, error_body(500, "An unexpected error occurred."))
            try:
                body = self._route(customer, url.path, parse_qs(url.query))
            except ApiError as exc:
                return self._send(exc.status, error_body(exc.status, exc.description))
            self.send_data(200, body)
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
