"""A local Reapit Foundations platform API (and its token endpoint) for tests and the stack.

`start_sandbox(...)` serves, on loopback, `POST /token` (OAuth2 client credentials,
tokens that expire after `token_ttl_s` or at once on `expire_tokens()`), and the
`/properties/`, `/landlords/`, `/contacts/`, `/tenancies/` collections with Reapit's
bearer + `reapit-customer` + `api-version` headers, `pageNumber`/`pageSize` paging with
`_embedded` and `_links`, `modifiedFrom`/`modifiedTo`, `id`, `fromArchive`/`active`,
`ApiErrorModel` bodies, and 429s above 20 requests/s per app or 5 in flight per customer.
Each agency is a customer: generated UK data (seeded, `"units": N`) or a fixture file in
Reapit's own format (`"fixture": path`). Churn, faults and `/_sandbox/...` controls as
the kit's sandbox contract says.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pms_pipelines.integrations.kit import sandbox_server as kit
from pms_pipelines.integrations.reapit.mapping import is_tenant
from pms_pipelines.integrations.reapit.sandbox.generate import archive, generate_agency
from pms_pipelines.integrations.reapit.sandbox.server import Handler, SandboxState
from pms_pipelines.integrations.reapit.sandbox.store import CustomerStore, Record, load_fixture

__all__ = ["RATE_LIMIT_PER_S", "RunningSandbox", "start_sandbox"]
RATE_LIMIT_PER_S = 20.0
ENTITY_COLLECTIONS = {"property": "properties", "landlord": "landlords",
                      "tenant": "contacts", "tenancy": "tenancies"}


class RunningSandbox(kit.RunningServer[CustomerStore]):
    """The kit's running server (stop, churn_once, set_faults, store) plus token expiry
    and Reapit's own way to change and archive a record."""

    state: SandboxState

    def expire_tokens(self) -> int:
        """Make every issued access token invalid now, as if it had expired."""
        return self.state.expire_tokens()

    def _first_live(self, store: CustomerStore, entity: str) -> Record:
        collection = ENTITY_COLLECTIONS[entity]
        for record_id in sorted(store.records[collection]):
            record = store.records[collection][record_id]
            live = record.get("active", True) if entity == "landlord" else not record.get(
                "fromArchive")
            if live and (entity != "tenant" or is_tenant(record)):
                return record
        raise LookupError(f"agency {store.agency_id} has no live {entity}")

    def touch(self, agency_id: str, entity: str) -> str:
        """Save the first live record behind `entity` again; Reapit stamps `modified`."""
        store = self.store(agency_id)
        with store.lock:
            record = self._first_live(store, entity)
            store.put(ENTITY_COLLECTIONS[entity], record, datetime.now(timezone.utc))
        return record["id"]

    def remove(self, agency_id: str, entity: str) -> str:
        """Archive the first live record (landlords: deactivate), as Reapit does."""
        store = self.store(agency_id)
        with store.lock:
            record = self._first_live(store, entity)
            archive(store, ENTITY_COLLECTIONS[entity], record["id"], datetime.now(timezone.utc))
        return record["id"]


def start_sandbox(
    agencies: list[dict], *, host: str = "127.0.0.1", port: int = 0,
    churn_seconds: float | None = None, rate_limit_per_s: float | None = RATE_LIMIT_PER_S,
    faults: dict | None = None, seed: int = 7, token_ttl_s: float = 3600.0,
) -> RunningSandbox:
    """Start the sandbox in background threads; call `.stop()` when done."""
    stores, clients = [], {}
    for spec in agencies:
        if clients.setdefault(spec["client_id"], spec["client_secret"]) != spec["client_secret"]:
            raise ValueError(f"client {spec['client_id']} given two secrets")
        stores.append(kit.fill_store(
            CustomerStore(spec["agency_id"], spec["customer_id"], spec["client_id"]),
            spec, seed, load_fixture, generate_agency))
    if len({s.customer_id for s in stores}) != len(stores):
        raise ValueError("each agency needs its own customer_id")
    state = SandboxState(stores, clients, rate_limit_per_s, faults, seed, token_ttl_s)
    return kit.start_server(RunningSandbox, state, Handler, name="reapit", host=host,
                            port=port, churn_seconds=churn_seconds)
