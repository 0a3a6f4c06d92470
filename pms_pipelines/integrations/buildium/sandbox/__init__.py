"""A local Buildium Open API for tests and the local stack.

`start_sandbox(...)` serves, on loopback, the endpoints the integration reads, with
Buildium's header auth, offset/limit paging and `X-Total-Count`, the `lastupdatedfrom`
filter, 429s above 10 requests/s per API key and Buildium's `ApiErrorResponse` bodies.
Each agency is either generated (seeded, deterministic, `"units": N`) or loaded from a
fixture file in Buildium's own response format (`"fixture": path`). Churn mutates the
data every `churn_seconds`; faults (latency, 429, 5xx, truncated bodies) are set at
start or at run time with `POST /_sandbox/faults`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pms_pipelines.integrations.buildium.sandbox.generate import generate_agency
from pms_pipelines.integrations.buildium.sandbox.server import Handler, SandboxState
from pms_pipelines.integrations.buildium.sandbox.store import AgencyStore, load_fixture
from pms_pipelines.integrations.kit import sandbox_server as kit

__all__ = ["RunningSandbox", "start_sandbox"]
# The collection behind each canonical entity.
ENTITY_COLLECTIONS = {"property": "units", "landlord": "owners", "tenant": "tenants",
                      "tenancy": "leases"}


class RunningSandbox(kit.RunningServer[AgencyStore]):
    """The kit's running server (stop, churn_once, set_faults, store) plus Buildium's
    own way to change and delete a record."""

    state: SandboxState

    def touch(self, agency_id: str, entity: str) -> str:
        """Save the first record behind `entity` again; Buildium stamps it updated now."""
        store = self.store(agency_id)
        collection = ENTITY_COLLECTIONS[entity]
        with store.lock:
            record = store.records[collection][min(store.records[collection])]
            store.put(collection, record, datetime.now(timezone.utc))
        return str(record["Id"])

    def remove(self, agency_id: str, entity: str) -> str:
        """Buildium deletes outright (no archive flag for these records)."""
        store = self.store(agency_id)
        collection = ENTITY_COLLECTIONS[entity]
        with store.lock:
            record_id = min(store.records[collection])
            store.remove(collection, record_id)
            if collection == "leases":
                for rent_id in [i for i, r in store.records["rents"].items()
                                if r.get("LeaseId") == record_id]:
                    store.remove("rents", rent_id)
        return str(record_id)


def start_sandbox(
    agencies: list[dict], *, host: str = "127.0.0.1", port: int = 0,
    churn_seconds: float | None = None, rate_limit_per_s: float | None = 10.0,
    faults: dict | None = None, seed: int = 7,
) -> RunningSandbox:
    """Start the sandbox in background threads; call `.stop()` when done."""
    stores = [kit.fill_store(AgencyStore(spec["agency_id"], spec["client_id"],
                                         spec["client_secret"]),
                             spec, seed, load_fixture, generate_agency) for spec in agencies]
    if len({s.client_id for s in stores}) != len(stores):
        raise ValueError("each agency needs its own client_id")
    return kit.start_server(RunningSandbox, SandboxState(stores, rate_limit_per_s, faults, seed),
                            Handler, name="buildium", host=host, port=port,
                            churn_seconds=churn_seconds)
