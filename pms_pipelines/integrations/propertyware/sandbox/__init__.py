"""A local Propertyware REST API v1 for tests and the local stack, declared for the kit's
sandbox (`kit.sandbox_serve`).

Served on loopback under `/pw/api/rest/v1`: the collections the integration reads, with
Propertyware's three-header auth, offset/limit paging (default 100, max 500) and
`X-Total-Count`, the `lastModifiedDateTimeStart/End`, id, `type` and
`includeDeactivated` filters, `orderby`, 429s above 10 requests/s per API key, and
`ErrorResponse` bodies. Data: generated (seeded, `"units": N`, `generate.py`) or a
fixture file in Propertyware's own response format (`"fixture": path`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pms_pipelines.integrations.kit.sandbox_api import (
    Collection, Param, Record, Refused, SandboxApi,
)
from pms_pipelines.integrations.kit.sandbox_auth import HeaderKeys
from pms_pipelines.integrations.kit.sandbox_paging import OffsetLimit
from pms_pipelines.integrations.kit.sandbox_serve import DeclaredSandbox, start_declared
from pms_pipelines.integrations.kit.sandbox_server import parse_time
from pms_pipelines.integrations.propertyware import client
from pms_pipelines.integrations.propertyware.sandbox.generate import churn_once, generate_agency

__all__ = ["RATE_LIMIT_PER_S", "RunningSandbox", "start_sandbox"]
RunningSandbox = DeclaredSandbox
RATE_LIMIT_PER_S = client.RATE_LIMIT_PER_S
TIME_FORMAT = "formatted as YYYY-MM-DDTHH:mm:ssZ"


def stamp(record: Record, at: datetime, store: Any = None) -> None:
    """Propertyware stamps every save: `YYYY-MM-dd'T'HH:mm:ssXXX`, in UTC."""
    record["lastModifiedDateTime"] = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    record.setdefault("createdDateTime", record["lastModifiedDateTime"])
    record["lastModifiedBy"] = "Sandbox User"


def _modified(record: Record) -> datetime:
    return parse_time(record["lastModifiedDateTime"])


def order(records: list[Record], values: dict[str, Any]) -> None:
    """`orderby=name desc,id`: field names are case-insensitive, the default is by id."""
    for part in reversed([p.split() for p in values.get("orderby", "").split(",") if p.strip()]):
        name, direction = part[0].lower(), (part[1].lower() if len(part) > 1 else "asc")
        fields = {k.lower(): k for r in records for k in r}
        if direction not in ("asc", "desc") or (records and name not in fields):
            raise Refused(400, f"cannot sort by {' '.join(part)!r}", "orderby")
        key = fields.get(name, name)
        records.sort(key=lambda r, k=key: _sort_key(r.get(k)), reverse=direction == "desc")


def _sort_key(value: Any) -> tuple[bool, Any]:
    # Missing values last; numbers as numbers, anything else as its text.
    if value is None:
        return (True, "")
    return (False, value if isinstance(value, (int, float)) else str(value))


def ids(*names: str) -> tuple[Param, ...]:
    return tuple(Param(n, "int", minimum=0, keep=lambda r, v, n=n: r.get(n) == v) for n in names)


CHANGED = (
    Param("lastModifiedDateTimeStart", "datetime", format_hint=TIME_FORMAT,
          keep=lambda r, v: _modified(r) >= v),
    Param("lastModifiedDateTimeEnd", "datetime", format_hint=TIME_FORMAT,
          keep=lambda r, v: _modified(r) <= v),
    Param("orderby"),
)
DEACTIVATED = Param("includeDeactivated", "bool", default=False,
                    keep=lambda r, v: v or r.get("active") is not False)
# "The limit and offset parameter names are case-sensitive ... a 404" (the intro).
PAGING = OffsetLimit("offset", "limit", default=100, maximum=client.MAX_LIMIT,
                     total_header="X-Total-Count", miscased=404)


def _stamped_at(record: Record) -> datetime | None:
    return parse_time(record["lastModifiedDateTime"]) if record.get("lastModifiedDateTime") \
        else None


def _collection(name: str, resource: Any, *params: Param) -> Collection:
    return Collection(name, resource.path, stamp, (*CHANGED, *params), PAGING, order=order,
                      stamped_at=_stamped_at)


def _remove(store: Any, collection: str, record_id: int, now: datetime) -> None:
    """Propertyware deletes outright; a deleted contact also leaves the portfolios and
    leases that listed it."""
    store.remove(collection, record_id)
    if collection == "contacts":
        for kind, key in (("portfolios", "owners"), ("leases", "contacts")):
            for record in store.records[kind].values():
                record[key] = [c for c in record.get(key) or [] if c["id"] != record_id]


def _error(status: int, message: str, param: str | None) -> dict[str, Any]:
    """Propertyware's `ErrorResponse`."""
    code = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND",
            429: "TOO_MANY_REQUESTS"}.get(status, "INTERNAL_SERVER_ERROR")
    errors = [{"key": param, "message": message}] if param else []
    if status == 400 and param:
        message = ("Unable to process the request due to malformed request syntax or "
                   "invalid parameters.")
    return {"userMessage": message, "errorCode": code, "errors": errors}


API = SandboxApi(
    name="propertyware", prefix="/pw/api/rest/v1",
    auth=HeaderKeys(client.AUTH_HEADERS),
    collections=(
        _collection("buildings", client.BUILDINGS, *ids("portfolioID", "leaseID"), DEACTIVATED),
        _collection("units", client.UNITS, *ids("portfolioID", "buildingID"), DEACTIVATED),
        _collection("portfolios", client.PORTFOLIOS, DEACTIVATED),
        _collection("contacts", client.OWNERS, Param(
            "type", choices=("TENANT", "PROSPECT", "OWNER", "VENDOR", "OTHER"),
            keep=lambda r, v: r.get("type") == v)),
        _collection("leases", client.LEASES, *ids("portfolioID", "buildingID", "unitID")),
    ),
    error_body=_error,
    messages={401: "The API key couldn't be authorized.", 404: "The requested resource "
              "doesn't exist.", 429: "Too many requests.", 500: "Something went wrong on "
              "Propertyware's end."},
    entities={"property": ("units", lambda r: True),
              "landlord": ("contacts", lambda r: r.get("type") == "OWNER"),
              "tenant": ("contacts", lambda r: r.get("type") == "TENANT"),
              "tenancy": ("leases", lambda r: True)},
    remove=_remove, generate=generate_agency, churn=churn_once,
    rate_limit_per_s=RATE_LIMIT_PER_S, content_type="application/json",
)


def start_sandbox(agencies: list[dict], *, host: str = "127.0.0.1", port: int = 0,
                  churn_seconds: float | None = None,
                  rate_limit_per_s: float | None = RATE_LIMIT_PER_S,
                  faults: dict | None = None, seed: int = 7) -> DeclaredSandbox:
    """Start the sandbox in background threads; call `.stop()` when done."""
    return start_declared(API, agencies, credential_fields=client.CREDENTIAL_FIELDS, host=host,
                          port=port, churn_seconds=churn_seconds,
                          rate_limit_per_s=rate_limit_per_s, faults=faults, seed=seed)
