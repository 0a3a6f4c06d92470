"""The sandbox HTTP server: Propertyware's paths (under /pw/api/rest/v1), three-header auth,
offset/limit paging with `X-Total-Count`, filters, sorting, 429s and `ErrorResponse`
bodies, plus fault injection (`POST /_sandbox/faults`) and churn (`POST /_sandbox/churn`)."""

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

from pms_pipelines.integrations.propertyware.sandbox.generate import churn_once
from pms_pipelines.integrations.propertyware.sandbox.store import (
    COLLECTIONS, AgencyStore, Record, parse_time,
)

log = logging.getLogger("pms_pipelines.sandbox.propertyware")
PREFIX = "/pw/api/rest/v1"
DEFAULT_FAULTS = {"latency_ms": 0.0, "p429": 0.0, "p5xx": 0.0, "p_truncate": 0.0}
MAX_LIMIT, DEFAULT_LIMIT = 500, 100
ROUTES = {PREFIX + path: name for name, path in COLLECTIONS.items()}
# Id filters each endpoint documents, and the record field they match.
ID_FILTERS = {
    "buildings": {"portfolioID": "portfolioID", "leaseID": "leaseID"},
    "units": {"portfolioID": "portfolioID", "buildingID": "buildingID"},
    "leases": {"portfolioID": "portfolioID", "buildingID": "buildingID", "unitID": "unitID"},
}
HAS_DEACTIVATED = {"buildings", "units", "portfolios"}
CONTACT_TYPES = {"TENANT", "PROSPECT", "OWNER", "VENDOR", "OTHER"}


class BadRequest(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


def error_body(message: str, code: str, errors: list[tuple[str, str]] = ()) -> bytes:
    """Propertyware's `ErrorResponse`."""
    return json.dumps({"userMessage": message, "errorCode": code,
                       "errors": [{"key": k, "message": m} for k, m in errors]}).encode()


class SandboxState:
    """Everything the request handlers share: agencies, rate windows, faults, churn rng."""

    def __init__(self, agencies: list[AgencyStore], rate_limit_per_s: float | None,
                 faults: dict | None, seed: int) -> None:
        self.by_client = {a.client_id: a for a in agencies}
        self.rate_limit_per_s = rate_limit_per_s
        self.windows: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque)
        self.faults = dict(DEFAULT_FAULTS)
        self.counts: collections.Counter[str] = collections.Counter()
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
        return {a.agency_id: churn_once(a, self.churn_rng, now) for a in self.by_client.values()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PropertywareSandbox/1"
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
        self.send_header("Content-Type", "application/json")
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
            return self._send(400, error_body(str(exc), "BAD_REQUEST"))
        self._send(404, error_body("The requested resource doesn't exist.", "NOT_FOUND"))

    def do_GET(self) -> None:  # noqa: N802
        faults = self.state.faults
        if faults["latency_ms"]:
            time.sleep(faults["latency_ms"] / 1000)
        url = urlsplit(self.path)
        if url.path == "/_sandbox/health":
            return self._send(200, b'{"ok": true}')
        agency = self.state.by_client.get(self.headers.get("x-propertyware-client-id", ""))
        if (agency is None
                or self.headers.get("x-propertyware-client-secret") != agency.client_secret
                or self.headers.get("x-propertyware-system-id") != agency.system_id):
            return self._send(401, error_body(
                "The API key couldn't be authorized.", "UNAUTHORIZED"))
        if self.state.over_rate(agency.client_id) or self.state.roll("p429"):
            return self._send(429, error_body("Too many requests.", "TOO_MANY_REQUESTS"))
        if self.state.roll("p5xx"):
            return self._send(500, error_body("Something went wrong on Propertyware's end.",
                                              "INTERNAL_SERVER_ERROR"))
        try:
            status, body, headers = self._route(agency, url.path, parse_qs(url.query))
        except BadRequest as exc:
            return self._send(400, error_body(
                "Unable to process the request due to malformed request syntax or invalid "
                "parameters.", "BAD_REQUEST", [(exc.key, exc.message)]))
        self._send(status, body, headers, truncate=status == 200 and self.state.roll("p_truncate"))

    def _route(self, agency: AgencyStore, path: str, query: dict[str, list[str]]
               ) -> tuple[int, bytes, dict[str, str]]:
        collection = ROUTES.get(path)  # paths are case-sensitive, as documented
        if collection is None or any(k.lower() in ("offset", "limit") and k not in
                                     ("offset", "limit") for k in query):
            return 404, error_body("The requested resource doesn't exist.", "NOT_FOUND"), {}
        records = agency.select(collection, _filter(collection, query))
        _sort(records, query.get("orderby", [""])[0])
        offset = _int(query, "offset", 0, 0)
        limit = min(_int(query, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)  # >500 becomes 500
        page = records[offset:offset + limit]
        return 200, json.dumps(page).encode(), {"X-Total-Count": str(len(records))}


def _filter(collection: str, query: dict[str, list[str]]) -> Any:
    start = _time(query, "lastModifiedDateTimeStart")
    end = _time(query, "lastModifiedDateTimeEnd")
    ids = {field: _int(query, name, 0, 0) for name, field in
           ID_FILTERS.get(collection, {}).items() if name in query}
    with_deactivated = _bool(query, "includeDeactivated")
    kind = query.get("type", [None])[0] if collection == "contacts" else None
    if kind is not None and kind not in CONTACT_TYPES:
        raise BadRequest("type", f"must be one of {sorted(CONTACT_TYPES)}")

    def keep(record: Record) -> bool:
        stamp = parse_time(record["lastModifiedDateTime"])
        return ((start is None or stamp >= start) and (end is None or stamp <= end)
                and all(record.get(f) == v for f, v in ids.items())
                and (kind is None or record.get("type") == kind)
                and (collection not in HAS_DEACTIVATED or with_deactivated
                     or record.get("active") is not False))

    return keep


def _sort(records: list[Record], orderby: str) -> None:
    """`orderby=name desc,id`: field names are case-insensitive, the default is by id."""
    for part in reversed([p.split() for p in orderby.split(",") if p.strip()]):
        name, direction = part[0].lower(), (part[1].lower() if len(part) > 1 else "asc")
        if direction not in ("asc", "desc"):
            raise BadRequest("orderby", f"unknown direction {direction!r}")
        fields = {k.lower(): k for r in records for k in r}
        if records and name not in fields:
            raise BadRequest("orderby", f"cannot sort by {name!r}")
        key = fields.get(name, name)
        records.sort(key=lambda r, k=key: _sort_key(r.get(k)), reverse=direction == "desc")


def _sort_key(value: Any) -> tuple[bool, Any]:
    # Missing values last; numbers as numbers, anything else as its text.
    if value is None:
        return (True, "")
    return (False, value if isinstance(value, (int, float)) else str(value))


def _time(query: dict[str, list[str]], key: str) -> datetime | None:
    if key not in query:
        return None
    try:
        return parse_time(query[key][0])
    except ValueError:
        raise BadRequest(key, "must be formatted as YYYY-MM-DDTHH:mm:ssZ") from None


def _bool(query: dict[str, list[str]], key: str) -> bool:
    value = query.get(key, ["false"])[0].lower()
    if value not in ("true", "false"):
        raise BadRequest(key, "must be true or false")
    return value == "true"


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
