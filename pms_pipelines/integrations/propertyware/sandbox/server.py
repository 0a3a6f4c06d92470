"""The sandbox HTTP server: Propertyware's paths (under /pw/api/rest/v1), three-header auth,
offset/limit paging with `X-Total-Count`, filters, sorting, 429s and `ErrorResponse`
bodies; fault injection, churn and the server plumbing are the kit's
(`kit.sandbox_server`)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, parse_qs

from pms_pipelines.integrations.kit import sandbox_server as kit
from pms_pipelines.integrations.kit.sandbox_server import parse_time
from pms_pipelines.integrations.propertyware.sandbox.generate import churn_once
from pms_pipelines.integrations.propertyware.sandbox.store import (
    COLLECTIONS, AgencyStore, Record,
)

log = logging.getLogger("pms_pipelines.sandbox.propertyware")
PREFIX = "/pw/api/rest/v1"
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


class SandboxState(kit.SandboxState[AgencyStore]):
    """The kit's shared state, plus the agencies by API client id (the auth header)."""

    def __init__(self, agencies: list[AgencyStore], rate_limit_per_s: float | None,
                 faults: dict | None, seed: int) -> None:
        super().__init__(agencies, churn_once, rate_limit_per_s, faults, seed)
        self.by_client = {a.client_id: a for a in agencies}


class Handler(kit.SandboxHandler):
    server_version = "PropertywareSandbox/1"
    content_type = "application/json"  # Propertyware names no charset
    log = log
    state: SandboxState  # set on the per-server subclass

    def bad_request_body(self, message: str) -> bytes:
        return error_body(message, "BAD_REQUEST")

    def not_found_body(self, path: str) -> bytes:
        return error_body("The requested resource doesn't exist.", "NOT_FOUND")

    def serve_get(self, url: SplitResult) -> None:
        agency = self.state.by_client.get(self.headers.get("x-propertyware-client-id", ""))
        if (agency is None
                or self.headers.get("x-propertyware-client-secret") != agency.client_secret
                or self.headers.get("x-propertyware-system-id") != agency.system_id):
            return self._send(401, error_body(
                "The API key couldn't be authorized.", "UNAUTHORIZED"))
        if self.throttled(agency.client_id):
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
        self.send_data(status, body, headers)

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
