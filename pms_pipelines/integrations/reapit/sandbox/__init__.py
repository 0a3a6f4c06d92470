"""A local Reapit Foundations platform API (and its token endpoint), declared for the kit's
sandbox (`kit.sandbox_serve`).

Served on loopback: `POST /token` (OAuth2 client credentials; tokens expire after an
hour, `token_ttl_s`, or at once on `expire_tokens()`), and `/properties/`, `/landlords/`, `/contacts/`,
`/tenancies/` with Reapit's bearer + `reapit-customer` + `api-version` headers,
`pageNumber`/`pageSize` paging in `_embedded` with `_links`, `modifiedFrom`/`modifiedTo`
(tenancies: strictly after), `id`, `fromArchive`/`active`, contacts' relationships only
with `embed=relationships`, no nulls (Reapit leaves an absent value out),
`ApiErrorModel` bodies, and 429s above 20 requests/s per app or 5 in flight per
customer. Each agency is a customer: generated UK data (seeded, `"units": N`) or a
fixture file in Reapit's own format (`"fixture": path`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from pms_pipelines.integrations.kit.sandbox_api import Collection, Param, Record, SandboxApi
from pms_pipelines.integrations.kit.sandbox_auth import ClientCredentials
from pms_pipelines.integrations.kit.sandbox_paging import PageNumbers, PageOf
from pms_pipelines.integrations.reapit.sandbox.webhooks import WEBHOOKS
from pms_pipelines.integrations.kit.sandbox_serve import DeclaredSandbox, start_declared
from pms_pipelines.integrations.kit.sandbox_server import parse_time
from pms_pipelines.integrations.reapit import client
from pms_pipelines.integrations.reapit.mapping import is_tenant
from pms_pipelines.integrations.reapit.sandbox.generate import churn_once, generate_agency

__all__ = ["RATE_LIMIT_PER_S", "RunningSandbox", "start_sandbox"]
RunningSandbox = DeclaredSandbox
RATE_LIMIT_PER_S = client.RATE_LIMIT_PER_S


def reapit_time(moment: datetime) -> str:
    """Reapit's UTC stamps carry seven fractional digits: `2019-06-23T12:30:12.0000000Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def archive(store: Any, collection: str, record_id: str, at: datetime) -> None:
    """Archive as Reapit does: the record stays, flagged, and its `modified` moves.
    Landlords cannot be archived; they are deactivated (`active: false`)."""
    record = store.records[collection][record_id]
    if collection == "landlords":
        record["active"] = False
    else:
        record["fromArchive"] = True
        if collection != "tenancies":  # TenancyModel has no archivedOn
            record["archivedOn"] = reapit_time(at)
    store.put(collection, record, at)


def _stamp(path: str) -> Any:
    def stamp(record: Record, at: datetime, store: Any = None) -> None:
        record["modified"] = reapit_time(at)
        record["__modified"] = at
        record.setdefault("created", record["modified"])
        record.setdefault("_links", {"self": {"href": f"{path}{record['id']}"}})
    return stamp


def _envelope(page: PageOf) -> dict[str, Any]:
    """Reapit's paged result: `_embedded`, the counts, and `_links` to its neighbours."""
    def href(number: int) -> dict[str, str]:
        rest = [(k, v) for k, vs in page.query.items() if k != "pageNumber" for v in vs]
        return {"href": f"{page.path}?{urlencode([('pageNumber', number), *rest])}"}

    links = {"self": href(page.number), "first": href(1), "last": href(page.last)}
    if page.number < page.last:
        links["next"] = href(page.number + 1)
    if page.number > 1:
        links["prev"] = href(page.number - 1)
    return {"_embedded": page.records, "pageNumber": page.number, "pageSize": page.size,
            "pageCount": len(page.records), "totalPageCount": page.last,
            "totalCount": page.total, "_links": links}


def flag(name: str) -> Param:
    """`fromArchive=true|false`, `active=…`: records whose flag matches."""
    return Param(name, "bool", keep=lambda r, v: bool(r.get(name)) == v)


def _modified(strictly_after: bool = False) -> tuple[Param, ...]:
    return (Param("modifiedFrom", "datetime", keep=(lambda r, v: r["__modified"] > v)
                  if strictly_after else (lambda r, v: r["__modified"] >= v)),
            Param("modifiedTo", "datetime", keep=lambda r, v: r["__modified"] <= v),
            Param("id", many=True, keep=lambda r, v: r["id"] in v))


def _with_roles(record: Record, values: Mapping[str, Any]) -> Record:
    if "relationships" not in (values.get("embed") or []):
        record.pop("relationships", None)
    return record


def _collection(name: str, resource: Any, *params: Param, strictly_after: bool = False,
                **rest: Any) -> Collection:
    return Collection(name, resource.path, _stamp(resource.path),
                      (*_modified(strictly_after), *params), PAGING,
                      stamped_at=lambda r: parse_time(r["modified"]) if r.get("modified")
                      else None, **rest)


PAGING = PageNumbers("pageNumber", "pageSize", default=25, maximum=client.MAX_PAGE_SIZE,
                     envelope=_envelope)
API = SandboxApi(
    name="reapit", prefix="",
    auth=ClientCredentials("/token", agency_header="reapit-customer",
                           agency_field="customer_id", required_headers=("api-version",)),
    collections=(
        _collection("properties", client.PROPERTIES, flag("fromArchive")),
        _collection("landlords", client.LANDLORDS, flag("active")),
        _collection("contacts", client.CONTACTS, flag("fromArchive"), flag("active"),
                    Param("embed", many=True, choices=("relationships",)), view=_with_roles),
        _collection("tenancies", client.TENANCIES, flag("fromArchive"), strictly_after=True),
    ),
    error_body=lambda status, message, param: {
        "statusCode": status, "dateTime": reapit_time(datetime.now(timezone.utc)),
        "description": message},
    messages={404: "The requested resource was not found.", 429: "Too many requests.",
              500: "An unexpected error occurred."},
    entities={"property": ("properties", lambda r: not r.get("fromArchive")),
              "landlord": ("landlords", lambda r: r.get("active", True)),
              "tenant": ("contacts", lambda r: not r.get("fromArchive") and is_tenant(r)),
              "tenancy": ("tenancies", lambda r: not r.get("fromArchive"))},
    remove=archive, generate=generate_agency, churn=churn_once,
    rate_limit_per_s=RATE_LIMIT_PER_S, max_in_flight=5, drop_nulls=True,
    webhooks=WEBHOOKS,
)


def start_sandbox(agencies: list[dict], *, host: str = "127.0.0.1", port: int = 0,
                  churn_seconds: float | None = None,
                  rate_limit_per_s: float | None = RATE_LIMIT_PER_S,
                  faults: dict | None = None, seed: int = 7,
                  token_ttl_s: float = 3600.0) -> DeclaredSandbox:
    """Start the sandbox in background threads; call `.stop()` when done. One application
    (client id) may serve several customers, with one secret; its tokens last
    `token_ttl_s`."""
    return start_declared(API, agencies,
                          credential_fields=("client_id", "client_secret", "customer_id"),
                          unique="customer_id", host=host, port=port,
                          churn_seconds=churn_seconds, rate_limit_per_s=rate_limit_per_s,
                          faults=faults, seed=seed, token_ttl_s=token_ttl_s)
