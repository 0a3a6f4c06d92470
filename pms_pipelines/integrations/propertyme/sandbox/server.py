"""The sandbox HTTP server: PropertyMe's paths under /api, bearer auth with an OAuth token
endpoint that rotates refresh tokens, change-stamp filters, Offset/Limit paging, 429s and
ServiceStack error bodies, plus fault injection (`POST /_sandbox/faults`) and churn."""

from __future__ import annotations

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
from urllib.parse import parse_qs, urlsplit

from pms_pipelines.integrations.propertyme.sandbox.generate import churn_once
from pms_pipelines.integrations.propertyme.sandbox.store import (
    ACCESS_TOKEN_SECONDS, AgencyStore, Record, parse_time,
)

log = logging.getLogger("pms_pipelines.sandbox.propertyme")
DEFAULT_FAULTS = {"latency_ms": 0.0, "p429": 0.0, "p5xx": 0.0, "p_truncate": 0.0}
MAX_LIMIT = 1000
# Fields of MobLotGridData that the archived list's LotGridData does not have.
MOB_ONLY = {"Timestamp", "Vacant", "OwnershipUpdatedOn", "TenancyUpdatedOn", "PetStatus",
            "SaleAgreementUpdatedOn", "StrataManagerContactName", "HasAccessDetails", "Pets",
            "PetDetails", "Reason", "Occupants", "Leaseholders", "AdditionalOccupants",
            "Details", "PropertyType", "CommercialCategory"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(code: str, message: str) -> bytes:
    """ServiceStack's error response."""
    return json.dumps({"ResponseStatus": {"ErrorCode": code, "Message": message,
                                          "Errors": []}}).encode()


class SandboxState:
    """Everything the request handlers share: agencies, tokens, rate windows, faults."""

    def __init__(self, agencies: list[AgencyStore], rate_limit_per_s: float | None,
                 faults: dict | None, seed: int) -> None:
        self.by_client = {a.client_id: a for a in agencies}
        self.rate_limit_per_s = rate_limit_per_s
        self.windows: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque)
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

    def agency_for(self, authorization: str) -> AgencyStore | None:
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        for agency in self.by_client.values():
            expiry = agency.access_tokens.get(token)
            if expiry is not None and expiry > time.monotonic():
                return agency
        return None

    def issue_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The refresh-token grant, as an OpenID Connect server answers it (RFC 6749)."""
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        agency = self.by_client.get(form.get("client_id", ""))
        if agency is None or not secrets.compare_digest(
                form.get("client_secret", ""), agency.client_secret):
            return 400, {"error": "invalid_client"}
        new = agency.rotate(form.get("refresh_token", ""))
        if new is None:
            return 400, {"error": "invalid_grant",
                         "error_description": "The refresh token is invalid or already used"}
        access = secrets.token_urlsafe(32)
        agency.access_tokens[access] = time.monotonic() + ACCESS_TOKEN_SECONDS
        return 200, {"access_token": access, "expires_in": ACCESS_TOKEN_SECONDS,
                     "token_type": "Bearer", "refresh_token": new,
                     "scope": "contact:read property:read offline_access"}

    def churn_once(self) -> dict[str, dict[str, int]]:
        now = datetime.now(timezone.utc)
        return {a.agency_id: churn_once(a, self.churn_rng, now) for a in self.by_client.values()}


def route(agency: AgencyStore, path: str, query: dict[str, list[str]]) -> list[Record]:
    """The body of one API GET, or ApiError."""
    if path == "/api/v1/lots":
        stamp = _stamp(query, missing_status=502, missing="Timestamp value is not supplied")
        return agency.select("lots", lambda r: not r.get("IsArchived") and r["Timestamp"] > stamp)
    if path == "/api/v1/contacts":
        stamp = _stamp(query, missing_status=400, missing="Invalid timestamp value")
        archived = _flag(query, "IncludeArchived")
        return agency.select("contacts", lambda r: r["Timestamp"] > stamp
                             and (archived or not r.get("IsArchived")))
    if path == "/api/v1/tenancies":
        closed, lot, contact = (_flag(query, "IncludeClosed"), _one(query, "LotId"),
                                _one(query, "ContactId"))
        return agency.select("tenancies", lambda r: (closed or not r.get("IsClosed"))
                             and lot in (None, r.get("LotId"))
                             and contact in (None, r.get("ContactId")))
    if path == "/api/v1/lots/archived":
        offset, limit = _int(query, "Offset"), _int(query, "Limit")
        since_text = _one(query, "ArchivedSince")
        try:
            since = parse_time(since_text) if since_text else None
        except ValueError:
            raise ApiError(400, "ArgumentException", "Invalid ArchivedSince value") from None
        rows = [{k: v for k, v in r.items() if k not in MOB_ONLY} for r in agency.select(
            "lots", lambda r: r.get("IsArchived") and (
                since is None or parse_time(r["ArchivedOn"]) >= since))]
        rows.sort(key=lambda r: (r["ArchivedOn"], r["Id"]))
        return rows[offset:offset + min(limit, MAX_LIMIT)]
    raise ApiError(404, "NotFound", f"Handler for Request not found: GET {path}")


def _one(query: dict[str, list[str]], key: str) -> str | None:
    found = next((v for k, v in query.items() if k.lower() == key.lower()), None)
    return found[0] if found else None


def _flag(query: dict[str, list[str]], key: str) -> bool:
    return (_one(query, key) or "false").lower() == "true"


def _stamp(query: dict[str, list[str]], *, missing_status: int, missing: str) -> int:
    value = _one(query, "Timestamp")
    if value is None:
        raise ApiError(missing_status, "ArgumentNullException", missing)
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, "ArgumentException", "Invalid timestamp value") from None


def _int(query: dict[str, list[str]], key: str) -> int:
    value = _one(query, key)
    if value is None or not value.isdigit() or (key == "Limit" and int(value) < 1):
        raise ApiError(400, "ArgumentException", "Invalid value of offset or limit")
    return int(value)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PropertyMeSandbox/1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms stalls
    state: SandboxState  # set on the per-server subclass

    def log_message(self, fmt: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), fmt % args)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              truncate: bool = False) -> None:
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
        payload = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        try:
            if path == "/connect/token":
                form = {k: v[0] for k, v in parse_qs(payload.decode()).items()}
                status, body = self.state.issue_token(form)
                return self._send(status, json.dumps(body).encode(),
                                  {"Cache-Control": "no-store"})
            if path == "/_sandbox/faults":
                self.state.set_faults(json.loads(payload or b"{}"))
                return self._send(200, json.dumps(self.state.faults).encode())
            if path == "/_sandbox/churn":
                return self._send(200, json.dumps(self.state.churn_once()).encode())
        except ValueError as exc:
            return self._send(400, error_body("ArgumentException", str(exc)))
        self._send(404, error_body("NotFound", f"Handler for Request not found: POST {path}"))

    def do_GET(self) -> None:  # noqa: N802
        faults = self.state.faults
        if faults["latency_ms"]:
            time.sleep(faults["latency_ms"] / 1000)
        url = urlsplit(self.path)
        if url.path == "/_sandbox/health":
            return self._send(200, b'{"ok": true}')
        agency = self.state.agency_for(self.headers.get("Authorization", ""))
        if agency is None:
            return self._send(401, error_body("Unauthorized", "Not Authenticated"),
                              {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if self.state.over_rate(agency.client_id) or self.state.roll("p429"):
            return self._send(429, error_body("TooManyRequests", "Too many requests"),
                              {"Retry-After": "1"})
        if self.state.roll("p5xx"):
            return self._send(500, error_body("Exception", "An internal error has occurred"))
        try:
            body = route(agency, url.path, parse_qs(url.query, keep_blank_values=True))
        except ApiError as exc:
            return self._send(exc.status, error_body(exc.code, exc.message))
        self._send(200, json.dumps(body).encode(), truncate=self.state.roll("p_truncate"))


def make_server(state: SandboxState, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
