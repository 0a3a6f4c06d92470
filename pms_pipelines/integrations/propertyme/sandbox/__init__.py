"""A local PropertyMe API for tests and the local stack.

`start_sandbox(...)` serves, on loopback, the endpoints the integration reads under
`/api` (the spec's basePath) and the OAuth token endpoint `/connect/token`, which rotates
the refresh token on every use and refuses a used one, like PropertyMe's identity server.
It filters on the `Timestamp` change stamp, pages /v1/lots/archived with Offset/Limit,
answers 429 above the assumed 10 requests/s per client and sends ServiceStack error bodies.
Each agency is generated (seeded, `"units": N`) or loaded from a fixture file in
PropertyMe's own response format (`"fixture": path`). Churn mutates the data every
`churn_seconds`; faults (latency, 429, 5xx, truncated bodies) apply to the API, not the
token endpoint (a separate host at PropertyMe), set at start or with `POST /_sandbox/faults`.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer

from pms_pipelines.integrations.propertyme.sandbox.generate import generate_agency
from pms_pipelines.integrations.propertyme.sandbox.server import SandboxState, make_server
from pms_pipelines.integrations.propertyme.sandbox.store import AgencyStore, load_fixture

__all__ = ["RunningSandbox", "start_sandbox"]
log = logging.getLogger("pms_pipelines.sandbox.propertyme")
DEFAULT_RATE_LIMIT_PER_S = 10.0


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
        """Change, add and archive a few records of every agency now; returns the counts."""
        return self.state.churn_once()

    def set_faults(self, faults: dict) -> None:
        """Any of latency_ms, p429, p5xx, p_truncate; unspecified ones keep their value."""
        self.state.set_faults(faults)

    def store(self, agency_id: str) -> AgencyStore:
        return next(a for a in self.state.by_client.values() if a.agency_id == agency_id)

    def _first(self, store: AgencyStore, entity: str) -> tuple[str, str]:
        """(collection, id) of the first live record behind canonical `entity`."""
        collection, live = {
            "property": ("lots", lambda r: not r.get("IsArchived")),
            "landlord": ("contacts", lambda r: r.get("IsOwner") and not r.get("IsArchived")),
            "tenant": ("contacts", lambda r: r.get("IsTenant") and not r.get("IsArchived")),
            "tenancy": ("tenancies", lambda r: not r.get("IsClosed")),
        }[entity]
        return collection, min(i for i, r in store.records[collection].items() if live(r))

    def touch(self, agency_id: str, entity: str) -> str:
        """Save the first record behind `entity` again: its Timestamp and UpdatedOn move."""
        store = self.store(agency_id)
        with store.lock:
            collection, record_id = self._first(store, entity)
            store.put(collection, store.records[collection][record_id], datetime.now(timezone.utc))
        return record_id

    def remove(self, agency_id: str, entity: str) -> str:
        """Archive the lot or contact, or close the tenancy, as PropertyMe does."""
        store = self.store(agency_id)
        now = datetime.now(timezone.utc)
        with store.lock:
            collection, record_id = self._first(store, entity)
            if collection == "tenancies":
                record = store.records[collection][record_id]
                record.update(IsClosed=True, IsActive=False, TenancyEnd=record.get(
                    "AgreementEnd") or now.strftime("%Y-%m-%dT00:00:00Z"))
                store.put(collection, record, now)
            else:
                store.archive(collection, record_id, now)
        return record_id


def start_sandbox(
    agencies: list[dict], *, host: str = "127.0.0.1", port: int = 0,
    churn_seconds: float | None = None,
    rate_limit_per_s: float | None = DEFAULT_RATE_LIMIT_PER_S,
    faults: dict | None = None, seed: int = 7,
) -> RunningSandbox:
    """Start the sandbox in background threads; call `.stop()` when done."""
    stores = []
    for spec in agencies:
        store = AgencyStore(spec["agency_id"], spec["client_id"], spec["client_secret"],
                            spec["refresh_token"])
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
    threading.Thread(target=server.serve_forever, args=(0.05,), name="propertyme-sandbox",
                     daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    running = RunningSandbox(f"http://{bound_host}:{bound_port}/api", state, server)
    if churn_seconds:
        def churn_forever() -> None:
            while not running._stopping.wait(churn_seconds):
                log.info("churn: %s", running.churn_once())
        threading.Thread(target=churn_forever, name="propertyme-churn", daemon=True).start()
    return running
