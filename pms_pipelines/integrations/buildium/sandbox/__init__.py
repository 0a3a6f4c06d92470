"""A local Buildium Open API for tests and the local stack, declared for the kit's sandbox
(`kit.sandbox_serve`).

Served on loopback: the collections the integration reads, the leases, units and
tenants by id, signed webhooks of its changes once subscribed (`webhooks.py`),
with Buildium's header auth, offset/limit paging (default 50, max 1000) and
`X-Total-Count`, the `lastupdatedfrom/to` filter (at most 365 days on rents), the
`propertyids`/`leaseids` filters, 429s above 10 requests/s per API key, 503s as faults,
and `ApiErrorResponse` bodies. Most Buildium messages carry no last-updated time (only
leases and rents do), yet every endpoint filters on it: the sandbox keeps it beside each
record (`__updated`). Data: generated (seeded, `"units": N`) or a fixture file in
Buildium's own response format (`"fixture": path`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from pms_pipelines.integrations.buildium import client
from pms_pipelines.integrations.buildium.sandbox.generate import churn_once, generate_agency
from pms_pipelines.integrations.kit.sandbox_api import (
    Collection, Param, Record, Refused, SandboxApi,
)
from pms_pipelines.integrations.kit.sandbox_auth import HeaderKeys
from pms_pipelines.integrations.kit.sandbox_paging import OffsetLimit
from pms_pipelines.integrations.buildium.sandbox.webhooks import WEBHOOKS
from pms_pipelines.integrations.kit.sandbox_serve import DeclaredSandbox, start_declared
from pms_pipelines.integrations.kit.sandbox_server import parse_time

__all__ = ["RunningSandbox", "start_sandbox"]
RunningSandbox = DeclaredSandbox
TIME = "formatted as YYYY-MM-DDTHH:MM:SSZ"
MAX_DATE_RANGE = timedelta(days=365)  # "The maximum date range is 365 days" (rents)


def stamp(record: Record, at: datetime, store: Any = None) -> None:
    """The hidden last-updated time every endpoint filters on."""
    record["__updated"] = at


def stamp_shown(record: Record, at: datetime, store: Any = None) -> None:
    """Leases and rents also show it, as `LastUpdatedDateTime`."""
    stamp(record, at)
    record["LastUpdatedDateTime"] = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamped_at(record: Record) -> datetime | None:
    value = record.get("LastUpdatedDateTime")
    return parse_time(value) if value else None


def _within_a_year(values: dict[str, Any]) -> None:
    since = values.get("lastupdatedfrom")
    if since is not None and (values.get("lastupdatedto") or datetime.now(timezone.utc)
                              ) - since > MAX_DATE_RANGE:
        raise Refused(400, "The maximum date range is 365 days.", "lastupdatedfrom")


def ids(name: str, field: str) -> Param:
    """`propertyids=1&propertyids=2`: a record matches when its field (or any id of a
    list field) is one of them."""
    def keep(record: Record, wanted: list[int]) -> bool:
        value = record.get(field)
        return bool(set(value) & set(wanted)) if isinstance(value, list) else value in wanted
    return Param(name, "int", many=True, keep=keep)


UPDATED = (Param("lastupdatedfrom", "datetime", format_hint=TIME,
                 keep=lambda r, v: r["__updated"] >= v),
           Param("lastupdatedto", "datetime", format_hint=TIME,
                 keep=lambda r, v: r["__updated"] <= v))
PAGING = OffsetLimit("offset", "limit", default=50, maximum=client.MAX_LIMIT,
                     total_header="X-Total-Count")


def _collection(name: str, resource: Any, *params: Param, shown: bool = False,
                **rest: Any) -> Collection:
    return Collection(name, resource.path, stamp_shown if shown else stamp,
                      (*UPDATED, *params), PAGING, id_field="Id", stamped_at=_stamped_at, **rest)


def _remove(store: Any, collection: str, record_id: int, now: datetime) -> None:
    """Buildium deletes outright (no archive flag for these records); a lease's rents go
    with it."""
    store.remove(collection, record_id, now)
    if collection == "leases":
        for rent_id in [i for i, r in store.records["rents"].items()
                        if r.get("LeaseId") == record_id]:
            store.remove("rents", rent_id)


def _error(status: int, message: str, param: str | None) -> dict[str, Any]:
    """Buildium's `ApiErrorResponse`."""
    code = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound",
            429: "TooManyRequests"}.get(status, "ServiceUnavailable")
    errors = [{"Key": param, "Value": message}] if param else []
    return {"UserMessage": "The request is invalid." if param else message,
            "ErrorCode": code, "Errors": errors}


API = SandboxApi(
    name="buildium", prefix="",
    auth=HeaderKeys(client.AUTH_HEADERS),
    collections=(
        _collection("rentals", client.RENTALS, ids("propertyids", "Id")),
        _collection("units", client.UNITS, ids("propertyids", "PropertyId")),
        _collection("owners", client.OWNERS, ids("propertyids", "PropertyIds")),
        _collection("tenants", client.TENANTS),
        _collection("leases", client.LEASES, shown=True),
        Collection("leases", client.LEASE.path, stamp_shown, id_field="Id", item="lease_id"),
        Collection("units", client.UNIT.path, stamp, id_field="Id", item="unit_id"),
        Collection("tenants", client.TENANT.path, stamp, id_field="Id", item="tenant_id"),
        _collection("rents", client.RENTS, ids("leaseids", "LeaseId"), shown=True,
                    check=_within_a_year),
    ),
    error_body=_error,
    messages={401: "The API client ID and secret weren't provided or are no longer valid.",
              404: "The requested resource was not found.", 429: "Too many requests.",
              503: "The service is temporarily unavailable."},
    entities={"property": ("units", lambda r: True), "landlord": ("owners", lambda r: True),
              "tenant": ("tenants", lambda r: True), "tenancy": ("leases", lambda r: True)},
    remove=_remove, generate=generate_agency, churn=churn_once,
    rate_limit_per_s=client.RATE_LIMIT_PER_S, fault_status=503,
    webhooks=WEBHOOKS,
)


def start_sandbox(agencies: list[dict], *, host: str = "127.0.0.1", port: int = 0,
                  churn_seconds: float | None = None,
                  rate_limit_per_s: float | None = client.RATE_LIMIT_PER_S,
                  faults: dict | None = None, seed: int = 7) -> DeclaredSandbox:
    """Start the sandbox in background threads; call `.stop()` when done."""
    return start_declared(API, agencies, credential_fields=("client_id", "client_secret"),
                          host=host, port=port, churn_seconds=churn_seconds,
                          rate_limit_per_s=rate_limit_per_s, faults=faults, seed=seed)
