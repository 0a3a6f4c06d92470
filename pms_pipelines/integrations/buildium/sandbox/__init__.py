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

import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer

from pms_pipelines.integrations.buildium.sandbox.generate import generate_agency
from pms_pipelines.integrations.buildium.sandbox.server import SandboxState, make_server
from pms_pipelines.integrations.buildium.sandbox.store import AgencyStore, load_fixture

__all__ = ["RunningSandbox", "start_sandbox"]
# The collection behind each canonical entity.
ENTITY_COLLECTIONS = {"property": "units", "landlord": "owners", "tenant": "tenants",
                      "tenancy": "leases"}
log = logging.getLogger("pms_pipelines.sandbox.buildium")


@dataclass
class RunningSandbox:
    base_url: str
    state: SandboxState = field(repr=False)
    server: ThreadingHTTPServer = field(repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def churn_once(self) -> dict[str, dict[str, int]]:
        """Change, add and remove a few records of every agency now; returns the counts."""
        return self.state.churn_once()

    def set_faults(self, faults: dict) -> None:
        """Any of latency_ms, p429, p5xx, p_truncate; unspecified ones keep their value."""
        self.state.set_faults(faults)

    def store(self, agency_id: str) -> AgencyStore:
        return next(a for a in self.state.by_client.values() if a.agency_id == agency_id)

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
    stores = []
    for spec in agencies:
        store = AgencyStore(spec["agency_id"], spec["client_id"], spec["client_secret"])
        if spec.get("fixture"):
            load_fixture(store, spec["fixture"])
        else:
            generate_agency(store, int(spec.get("units", 200)),
                            random.Random(f"{seed}:{spec['agency_id']}"))
        stores.append(store)
    if len({s.client_id for s in stores}) != len(stores):
        raise ValueError("each agency needs its own client_id")
    state = SandboxState(stores, rate_limit_per_s, faults, seed)
    server = make_server(state, host, port)
    threading.Thread(target=server.serve_forever, args=(0.05,), name="buildium-sandbox",
                     daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    running = RunningSandbox(f"http://{bound_host}:{bound_port}", state, server)
    if churn_seconds:
        def churn_forever() -> None:
            while not running._stopping.wait(churn_seconds):
                log.info("churn: %s", running.churn_once())
        threading.Thread(target=churn_forever, name="buildium-churn", daemon=True).start()
    return running
