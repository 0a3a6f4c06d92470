"""A local Propertyware REST API v1 for tests and the local stack.

`start_sandbox(...)` serves, on loopback under `/pw/api/rest/v1`, the endpoints the
integration reads, with Propertyware's three-header auth, offset/limit paging (default
100, max 500) and `X-Total-Count`, the `lastModifiedDateTimeStart/End`, id, `type` and
`includeDeactivated` filters, `orderby`, 429s above 10 requests/s per API key and
Propertyware's `ErrorResponse` bodies. Each agency is generated (seeded, `"units": N`) or
loaded from a fixture file in Propertyware's own response format (`"fixture": path`).
Churn mutates the data every `churn_seconds`; faults (latency, 429, 5xx, truncated
bodies) are set at start or at run time with `POST /_sandbox/faults`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pms_pipelines.integrations.kit import sandbox_server as kit
from pms_pipelines.integrations.propertyware.sandbox.generate import generate_agency
from pms_pipelines.integrations.propertyware.sandbox.server import (
    PREFIX, Handler, SandboxState,
)
from pms_pipelines.integrations.propertyware.sandbox.store import AgencyStore, load_fixture

__all__ = ["RunningSandbox", "start_sandbox"]
RATE_LIMIT_PER_S = 10.0
# The collection behind each canonical entity, and which of its records count.
ENTITY_RECORDS = {
    "property": ("units", lambda r: True),
    "landlord": ("contacts", lambda r: r.get("type") == "OWNER"),
    "tenant": ("contacts", lambda r: r.get("type") == "TENANT"),
    "tenancy": ("leases", lambda r: True),
}


class RunningSandbox(kit.RunningServer[AgencyStore]):
    """The kit's running server (stop, churn_once, set_faults, store) plus Propertyware's
    own way to change and delete a record."""

    state: SandboxState

    def _first(self, agency_id: str, entity: str) -> tuple[AgencyStore, str, int]:
        store = self.store(agency_id)
        collection, counts = ENTITY_RECORDS[entity]
        return store, collection, min(i for i, r in store.records[collection].items()
                                      if counts(r))

    def touch(self, agency_id: str, entity: str) -> str:
        """Save the first record behind `entity` again; Propertyware stamps it modified now."""
        store, collection, record_id = self._first(agency_id, entity)
        with store.lock:
            store.put(collection, store.records[collection][record_id],
                      datetime.now(timezone.utc))
        return str(record_id)

    def remove(self, agency_id: str, entity: str) -> str:
        """Propertyware deletes outright: the record is gone, with no flag or tombstone.
        A deleted contact also leaves the portfolios and leases that listed it."""
        store, collection, record_id = self._first(agency_id, entity)
        with store.lock:
            store.remove(collection, record_id)
            if collection == "contacts":
                for kind, key in (("portfolios", "owners"), ("leases", "contacts")):
                    for record in store.records[kind].values():
                        record[key] = [c for c in record.get(key) or [] if c["id"] != record_id]
        return str(record_id)


def start_sandbox(
    agencies: list[dict], *, host: str = "127.0.0.1", port: int = 0,
    churn_seconds: float | None = None, rate_limit_per_s: float | None = RATE_LIMIT_PER_S,
    faults: dict | None = None, seed: int = 7,
) -> RunningSandbox:
    """Start the sandbox in background threads; call `.stop()` when done."""
    stores = [kit.fill_store(AgencyStore(spec["agency_id"], spec["client_id"],
                                         spec["client_secret"], spec["system_id"]),
                             spec, seed, load_fixture, generate_agency) for spec in agencies]
    if len({s.client_id for s in stores}) != len(stores):
        raise ValueError("each agency needs its own client_id")
    return kit.start_server(RunningSandbox, SandboxState(stores, rate_limit_per_s, faults, seed),
                            Handler, name="propertyware", host=host, port=port, path=PREFIX,
                            churn_seconds=churn_seconds)
