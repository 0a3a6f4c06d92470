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

import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer

from pms_pipelines.integrations.propertyware.sandbox.generate import generate_agency
from pms_pipelines.integrations.propertyware.sandbox.server import (
    PREFIX, SandboxState, make_server,
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
log = logging.getLogger("pms_pipelines.sandbox.propertyware")


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
    stores = []
    for spec in agencies:
        store = AgencyStore(spec["agency_id"], spec["client_id"], spec["client_secret"],
                            spec["system_id"])
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
    threading.Thread(target=server.serve_forever, args=(0.05,), name="propertyware-sandbox",
                     daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    running = RunningSandbox(f"http://{bound_host}:{bound_port}{PREFIX}", state, server)
    if churn_seconds:
        def churn_forever() -> None:
            while not running._stopping.wait(churn_seconds):
                log.info("churn: %s", running.churn_once())
        threading.Thread(target=churn_forever, name="propertyware-churn", daemon=True).start()
    return running
