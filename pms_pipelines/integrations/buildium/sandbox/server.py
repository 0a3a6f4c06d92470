"""The sandbox HTTP server: Buildium's paths, header auth, paging, filters, 429s and
error bodies; fault injection, churn and the server plumbing are the kit's
(`kit.sandbox_server`)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from urllib.parse import SplitResult, parse_qs

from pms_pipelines.integrations.buildium.sandbox.generate import churn_once
from pms_pipelines.integrations.buildium.sandbox.store import COLLECTIONS, AgencyStore, parse_time
from pms_pipelines.integrations.kit import sandbox_server as kit

log = logging.getLogger("pms_pipelines.sandbox.buildium")
MAX_LIMIT, DEFAULT_LIMIT = 1000, 50
ROUTES = {path: name for name, path in COLLECTIONS.items()}
# Filters each endpoint accepts besides lastupdatedfrom/to, and the record field they
# match (a list field matches when any of its ids is asked for).
ID_FILTERS = {"/v1/rentals": ("propertyids", "Id"), "/v1/rentals/units": ("propertyids",
              "PropertyId"), "/v1/rentals/owners": ("propertyids", "PropertyIds"),
              "/v1/leases/rent": ("leaseids", "LeaseId")}

# "The maximum date range is 365 days" (the spec, on these endpoints' date filters); a
# range without `lastupdatedto` runs to now.
DATE_RANGE_LIMITED = {"/v1/leases/rent"}
MAX_DATE_RANGE = timedelta(days=365)


class BadRequest(Exception):
    def __init__(self, key: str, value: str) -> None:
        super().__init__(value)
        self.key, self.value = key, value


def error_body(message: str, code: str, errors: list[tuple[str, str]] = ()) -> bytes:
    """Buildium's `ApiErrorResponse`."""
    return json.dumps({"UserMessage": message, "ErrorCode": code,
                       "Errors": [{"Key": k, "Value": v} for k, v in errors]}).encode()


class SandboxState(kit.SandboxState[AgencyStore]):
    """The kit's shared state, plus the agencies by API client id (the auth header)."""

    def __init__(self, agencies: list[AgencyStore], rate_limit_per_s: float | None,
                 faults: dict | None, seed: int) -> None:
        super().__init__(agencies, churn_once, rate_limit_per_s, faults, seed)
        self.by_client = {a.client_id: a for a in agencies}


class Handler(kit.SandboxHandler):
    server_version = "BuildiumSandbox/1"
    log = log
    state: SandboxState  # set on the per-server subclass

    def bad_request_body(self, message: str) -> bytes:
        return error_body(message, "BadRequest")

    def not_found_body(self, path: str) -> bytes:
        return error_body("The requested resource was not found.", "NotFound")

    def serve_get(self, url: SplitResult) -> None:
        agency = self.state.by_client.get(self.headers.get("x-buildium-client-id", ""))
        secret = self.headers.get("x-buildium-client-secret", "")
        if agency is None or secret != agency.client_secret:
            return self._send(401, error_body(
                "The API client ID and secret weren't provided or are no longer valid.",
                "Unauthorized"))
        if self.throttled(agency.client_id):
            return self._send(429, error_body("Too many requests.", "TooManyRequests"))
        if self.state.roll("p5xx"):
            return self._send(503, error_body("The service is temporarily unavailable.",
                                              "ServiceUnavailable"))
        try:
            status, body, headers = self._route(agency, url.path, parse_qs(url.query))
        except BadRequest as exc:
            return self._send(400, error_body("The request is invalid.", "BadRequest",
                                              [(exc.key, exc.value)]))
        self.send_data(status, body, headers)

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
        if path in DATE_RANGE_LIMITED and since is not None and (
                (until or datetime.now(timezone.utc)) - since > MAX_DATE_RANGE):
            raise BadRequest("lastupdatedfrom", "The maximum date range is 365 days.")
        offset = _int(query, "offset", 0, 0)
        limit = min(_int(query, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)  # >1000 becomes 1000
        where = None
        if path in ID_FILTERS and ID_FILTERS[path][0] in query:
            name, field = ID_FILTERS[path]
            wanted = {int(v) for v in query[name] if v.lstrip("-").isdigit()}
            where = lambda r: _matches(r.get(field), wanted)  # noqa: E731
        body, total = agency.page_json(collection, offset, limit, since=since, until=until,
                                       where=where)
        return 200, body, {"X-Total-Count": str(total)}


def _matches(value: object, wanted: set[int]) -> bool:
    if isinstance(value, list):
        return not wanted.isdisjoint(value)
    return value in wanted


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
