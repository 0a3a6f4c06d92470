"""The sandbox HTTP server: PropertyMe's paths under /api, bearer auth with an OAuth token
endpoint that rotates refresh tokens, change-stamp filters, Offset/Limit paging, 429s and
ServiceStack error bodies; fault injection, churn and the server plumbing are the kit's
(`kit.sandbox_server`)."""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any
from urllib.parse import SplitResult, parse_qs

from pms_pipelines.integrations.kit import sandbox_server as kit
from pms_pipelines.integrations.propertyme.sandbox.generate import churn_once
from pms_pipelines.integrations.propertyme.sandbox.store import (
    ACCESS_TOKEN_SECONDS, AgencyStore, Record, parse_time,
)

log = logging.getLogger("pms_pipelines.sandbox.propertyme")
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


class SandboxState(kit.SandboxState[AgencyStore]):
    """The kit's shared state, plus the agencies by OAuth client id and their tokens."""

    def __init__(self, agencies: list[AgencyStore], rate_limit_per_s: float | None,
                 faults: dict | None, seed: int) -> None:
        super().__init__(agencies, churn_once, rate_limit_per_s, faults, seed)
        self.by_client = {a.client_id: a for a in agencies}

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


class Handler(kit.SandboxHandler):
    server_version = "PropertyMeSandbox/1"
    log = log
    state: SandboxState  # set on the per-server subclass

    def bad_request_body(self, message: str) -> bytes:
        return error_body("ArgumentException", message)

    def not_found_body(self, path: str) -> bytes:
        return error_body("NotFound", f"Handler for Request not found: POST {path}")

    def post_extra(self, path: str, payload: bytes) -> bool:
        if path != "/connect/token":
            return False
        form = {k: v[0] for k, v in parse_qs(payload.decode()).items()}
        status, body = self.state.issue_token(form)
        self._send(status, json.dumps(body).encode(), {"Cache-Control": "no-store"})
        return True

    def serve_get(self, url: SplitResult) -> None:
        agency = self.state.agency_for(self.headers.get("Authorization", ""))
        if agency is None:
            return self._send(401, error_body("Unauthorized", "Not Authenticated"),
                              {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if self.throttled(agency.client_id):
            return self._send(429, error_body("TooManyRequests", "Too many requests"),
                              {"Retry-After": "1"})
        if self.state.roll("p5xx"):
            return self._send(500, error_body("Exception", "An internal error has occurred"))
        try:
            body = route(agency, url.path, parse_qs(url.query, keep_blank_values=True))
        except ApiError as exc:
            return self._send(exc.status, error_body(exc.code, exc.message))
        self.send_data(200, json.dumps(body).encode())
