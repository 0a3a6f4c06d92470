"""A local PropertyMe API, declared for the kit's sandbox (`kit.sandbox_serve`).

Served on loopback: the endpoints the integration reads under `/api` (the spec's
basePath) and the OAuth token endpoint `/connect/token`, which rotates the refresh token
on every use and refuses a used one at once (no reuse or grace period is documented, so
none may be relied on); `authorise(agency_id)` stands for the agency connecting again.
Lots and contacts are filtered on the required `Timestamp` change stamp (a row version
here: the spec gives it no unit, so a client that converted a time into it would miss
every change), /v1/lots/archived pages with Offset/Limit and shows the archived list's
narrower record, tenancies leave closed ones out unless asked; 429s (`Retry-After`)
above the assumed 10 requests/s per client, ServiceStack error bodies. Data: generated
(seeded, `"units": N`) or a fixture file in PropertyMe's own format (`"fixture": path`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from pms_pipelines.integrations.kit.sandbox_api import (
    Collection, Param, Record, Refused, SandboxApi,
)
from pms_pipelines.integrations.kit.sandbox_auth import RotatingRefreshToken
from pms_pipelines.integrations.kit.sandbox_paging import OffsetLimit
from pms_pipelines.integrations.kit.sandbox_serve import DeclaredSandbox, start_declared
from pms_pipelines.integrations.kit.sandbox_server import parse_time
from pms_pipelines.integrations.propertyme import client
from pms_pipelines.integrations.propertyme.sandbox.generate import (
    archive, churn_once, generate_agency, iso,
)

__all__ = ["RunningSandbox", "start_sandbox"]
DEFAULT_RATE_LIMIT_PER_S = 10.0
AUTH = RotatingRefreshToken("/connect/token", scope="contact:read property:read offline_access")
# Fields of MobLotGridData that the archived list's LotGridData does not have.
MOB_ONLY = {"Timestamp", "Vacant", "OwnershipUpdatedOn", "TenancyUpdatedOn", "PetStatus",
            "SaleAgreementUpdatedOn", "StrataManagerContactName", "HasAccessDetails", "Pets",
            "PetDetails", "Reason", "Occupants", "Leaseholders", "AdditionalOccupants",
            "Details", "PropertyType", "CommercialCategory"}
CODES = {400: "ArgumentException", 401: "Unauthorized", 404: "NotFound",
         429: "TooManyRequests", 502: "ArgumentNullException"}


class RunningSandbox(DeclaredSandbox):
    def authorise(self, agency_id: str) -> str:
        """The agency connects again: a new refresh token, the only valid one from now on."""
        store = self.store(agency_id)
        with store.lock:
            return AUTH.authorise(store)


def stamp(record: Record, at: datetime, store: Any) -> None:
    """Every save: `UpdatedOn`, and the next `Timestamp` of the portfolio."""
    record["UpdatedOn"] = iso(at)
    record["Timestamp"] = store.next_stamp()


def stamp_tenancy(record: Record, at: datetime, store: Any) -> None:
    record["UpdatedOn"] = iso(at)  # TenancyApiData carries no Timestamp


def _updated(record: Record) -> datetime | None:
    return parse_time(record["UpdatedOn"]) if record.get("UpdatedOn") else None


def by_change(records: list[Record], values: Mapping[str, Any]) -> None:
    """As PropertyMe lists changed records: change order, then id."""
    records.sort(key=lambda r: (r.get("Timestamp") or 0, r.get("UpdatedOn") or "", r["Id"]))


def changed_after(missing: Refused) -> Param:
    return Param("Timestamp", "int", required=missing, format_hint="a number",
                 keep=lambda r, v: r["Timestamp"] > v)


def including(name: str, flag: str) -> Param:
    """`IncludeArchived=true`: those too; left out, only the others."""
    return Param(name, "bool", default=False, keep=lambda r, v: v or not r.get(flag))


def _close_or_archive(store: Any, collection: str, record_id: str, now: datetime) -> None:
    """Tenancies are closed (ended at their agreement's end); lots and contacts archived."""
    if collection != "tenancies":
        return archive(store, collection, record_id, now)
    record = store.records[collection][record_id]
    record.update(IsClosed=True, IsActive=False,
                  TenancyEnd=record.get("AgreementEnd") or now.strftime("%Y-%m-%dT00:00:00Z"))
    store.put(collection, record, now)


def _common(**rest: Any) -> dict[str, Any]:
    return {"id_field": "Id", "stamped_at": _updated, "counter_field": "Timestamp", **rest}


API = SandboxApi(
    name="propertyme", prefix="/api", auth=AUTH,
    collections=(
        Collection("lots", client.LOTS.path, stamp, (changed_after(Refused(
            502, "Timestamp value is not supplied")),), order=by_change,
            where=lambda r: not r.get("IsArchived"), **_common()),
        Collection("contacts", client.CONTACTS.path, stamp, (
            changed_after(Refused(400, "Invalid timestamp value")),
            including("IncludeArchived", "IsArchived")), order=by_change, **_common()),
        Collection("tenancies", client.TENANCIES.path, stamp_tenancy, (
            including("IncludeClosed", "IsClosed"),
            Param("LotId", keep=lambda r, v: r.get("LotId") == v),
            Param("ContactId", keep=lambda r, v: r.get("ContactId") == v)),
            order=by_change, **_common()),
        Collection("lots", client.ARCHIVED_LOTS.path, stamp, (Param(
            "ArchivedSince", "datetime", keep=lambda r, v: parse_time(r["ArchivedOn"]) >= v),),
            OffsetLimit("Offset", "Limit", default=client.PAGE_SIZE, maximum=1000,
                        required=Refused(400, "Invalid value of offset or limit")),
            where=lambda r: bool(r.get("IsArchived")),
            order=lambda rs, v: rs.sort(key=lambda r: (r["ArchivedOn"], r["Id"])),
            view=lambda r, v: {k: x for k, x in r.items() if k not in MOB_ONLY},
            **_common(fixture_marks={"IsArchived": True})),
    ),
    error_body=lambda status, message, param: {"ResponseStatus": {
        "ErrorCode": CODES.get(status, "Exception"), "Message": message, "Errors": []}},
    messages={401: "Not Authenticated", 404: "Handler for Request not found",
              429: "Too many requests", 500: "An internal error has occurred"},
    error_headers={401: {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                   429: {"Retry-After": "1"}},
    entities={
        "property": ("lots", lambda r: not r.get("IsArchived")),
        "landlord": ("contacts", lambda r: r.get("IsOwner") and not r.get("IsArchived")),
        "tenant": ("contacts", lambda r: r.get("IsTenant") and not r.get("IsArchived")),
        "tenancy": ("tenancies", lambda r: not r.get("IsClosed"))},
    remove=_close_or_archive, generate=generate_agency, churn=churn_once,
    rate_limit_per_s=DEFAULT_RATE_LIMIT_PER_S,
)


def start_sandbox(agencies: list[dict], *, host: str = "127.0.0.1", port: int = 0,
                  churn_seconds: float | None = None,
                  rate_limit_per_s: float | None = DEFAULT_RATE_LIMIT_PER_S,
                  faults: dict | None = None, seed: int = 7,
                  token_ttl_s: float | None = None) -> RunningSandbox:
    """Start the sandbox in background threads; call `.stop()` when done."""
    return cast(RunningSandbox, start_declared(
        API, agencies, credential_fields=("client_id", "client_secret", "refresh_token"),
        host=host, port=port, churn_seconds=churn_seconds, rate_limit_per_s=rate_limit_per_s,
        faults=faults, seed=seed, token_ttl_s=token_ttl_s, running=RunningSandbox))
