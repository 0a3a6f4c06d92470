"""A local Alto API, declared for the kit's sandbox (`kit.sandbox_serve`).

Served on loopback: `POST /token` (OAuth2 client credentials, HTTP Basic; one token per
application, for every agency that activated it), and /inventory/filter (rows of the
lettings inventory), /inventory/items (full items by id), /contacts/all (by persona),
/tenancies and /tenancies/{id}/tenantIds, each with the agency's `AgencyRef` header
(403 without it), cursor paging (`next-token`/`max-results`, `meta.nextToken`),
`modified-from`/`modified-to`, `archived` and `active` filters, and `ProblemDetails`
errors. Alto publishes no rate limit: the sandbox allows 20 requests/s per application,
and its agencies in the local stack say so (`AGENCY_SETTINGS`: the client assumes 5
unless an agency sets its own). Data: generated UK lettings (seeded, `"units": N`) or a
fixture file in Alto's own response format (`"fixture": path`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from pms_pipelines.integrations.alto import client
from pms_pipelines.integrations.alto.sandbox.generate import churn_once, generate_agency
from pms_pipelines.integrations.kit.sandbox_api import (
    Collection, Param, Record, SandboxApi, WholeList,
)
from pms_pipelines.integrations.kit.sandbox_auth import ClientCredentials
from pms_pipelines.integrations.kit.sandbox_paging import CursorPages
from pms_pipelines.integrations.kit.sandbox_serve import DeclaredSandbox, start_declared
from pms_pipelines.integrations.kit.sandbox_server import parse_time

__all__ = ["AGENCY_SETTINGS", "RunningSandbox", "start_sandbox"]
RunningSandbox = DeclaredSandbox
RATE_LIMIT_PER_S = 20.0
AGENCY_SETTINGS = {"rate_limit_per_s": str(RATE_LIMIT_PER_S)}  # for the local stack
ROW = ("branchId", "archived", "address", "managementType", "maintenanceType",
       "instructionDate")


def alto_time(moment: datetime) -> str:
    """.NET's round-trip format, as Alto writes times: `2017-12-25T15:03:30.0000000+00:00`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0+00:00")


def _stamp(saved: str, created: str) -> Callable[[Record, datetime, Any], None]:
    def stamp(record: Record, at: datetime, store: Any = None) -> None:
        record[saved] = alto_time(at)
        record["__modified"] = at
        record.setdefault(created, record[saved])
    return stamp


def _row(item: Record, values: Any) -> Record:
    """An inventory item as /inventory/filter lists it (`InventorySearch.InventoryItem`)."""
    return {"inventoryId": item.get("id"), "createdAt": item.get("createdDate"),
            "modifiedAt": item.get("modifiedDate"), "categoryType": "Residential",
            "recordType": item.get("recordType"), "status": item.get("inventoryStatus"),
            **{k: item[k] for k in ROW if k in item}}


def _pages(default: int, maximum: int) -> CursorPages:
    return CursorPages("next-token", "max-results", default, maximum,
                       lambda items, following: {"meta": {"nextToken": following},
                                                 "items": items})


def _changed(*params: Param) -> tuple[Param, ...]:
    return (Param("modified-from", "datetime", keep=lambda r, v: r["__modified"] >= v),
            Param("modified-to", "datetime", keep=lambda r, v: r["__modified"] <= v), *params)


def _saved_at(field: str) -> Callable[[Record], datetime | None]:
    return lambda record: parse_time(record[field]) if record.get(field) else None


def _remove(store: Any, collection: str, record_id: Any, now: datetime) -> None:
    """Alto archives properties and contacts; a tenancy (no archive flag) is deleted."""
    record = store.records[collection][record_id]
    if collection == "inventory":
        record.update(archived=True, inventoryStatus="Archived", isAtActiveStatus=False)
    elif collection == "contacts":
        record["isActive"] = False
    else:
        store.remove("tenant_ids", record_id)
        return store.remove(collection, record_id)
    store.put(collection, record, now)


INVENTORY = _stamp("modifiedDate", "createdDate")
API = SandboxApi(
    name="alto", prefix="",
    auth=ClientCredentials("/token", agency_header="agencyref", agency_field="agency_ref"),
    collections=(
        Collection("inventory", client.INVENTORY.path, INVENTORY, _changed(
            Param("recordType", choices=("Unspecified", "Sale", "Rent"),
                  keep=lambda r, v: v == "Unspecified" or r.get("recordType") == v),
            Param("archived", "bool", keep=lambda r, v: bool(r.get("archived")) == v)),
            _pages(50, 250), view=_row, stamped_at=_saved_at("modifiedDate")),
        Collection("inventory", client.INVENTORY_ITEMS.path, INVENTORY, (Param(
            "inventory-id", many=True, required=True, keep=lambda r, v: r.get("id") in v),),
            WholeList(lambda items: {"totalCount": len(items), "items": items})),
        Collection("contacts", client.LANDLORDS.path, _stamp("modifiedAt", "createdAt"),
                   _changed(Param("persona", many=True, choices=(
                       "Applicant", "Vendor", "Landlord", "Tenant"), keep=lambda r, v: bool(
                           set(v) & set(r["contactType"]["persona"]))),
                       Param("active", "bool", keep=lambda r, v: r.get("isActive") == v)),
                   _pages(50, 250), stamped_at=_saved_at("modifiedAt")),
        Collection("tenancies", client.TENANCIES.path, _stamp("modifiedDate", "createdDate"),
                   _changed(Param("include-tenants", "bool")), _pages(100, 100),
                   stamped_at=_saved_at("modifiedDate")),
        Collection("tenant_ids", client.TENANT_IDS.path, lambda r, at, s: None,
                   id_field="__id", item="tenancy_id"),
    ),
    error_body=lambda status, message, param: {
        "type": f"https://httpstatuses.io/{status}", "title": message, "status": status,
        "detail": f"{param}: {message}" if param else None},
    messages={401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
              429: "Too Many Requests", 500: "An error occurred while processing your request."},
    entities={
        "property": ("inventory", lambda r: not r.get("archived")),
        "landlord": ("contacts", lambda r: r["isActive"]
                     and "Landlord" in r["contactType"]["persona"]),
        "tenant": ("contacts", lambda r: r["isActive"] and "Tenant" in r["contactType"]["persona"]),
        "tenancy": ("tenancies", lambda r: True)},
    remove=_remove, generate=generate_agency, churn=churn_once,
    rate_limit_per_s=RATE_LIMIT_PER_S,
)


def start_sandbox(agencies: list[dict], *, host: str = "127.0.0.1", port: int = 0,
                  churn_seconds: float | None = None,
                  rate_limit_per_s: float | None = RATE_LIMIT_PER_S,
                  faults: dict | None = None, seed: int = 7,
                  token_ttl_s: float | None = None) -> DeclaredSandbox:
    """Start the sandbox in background threads; call `.stop()` when done. One application
    (client id) may serve several agencies, with one secret."""
    return start_declared(API, agencies,
                          credential_fields=("client_id", "client_secret", "agency_ref"),
                          unique="agency_ref", host=host, port=port,
                          churn_seconds=churn_seconds, rate_limit_per_s=rate_limit_per_s,
                          faults=faults, seed=seed, token_ttl_s=token_ttl_s)
