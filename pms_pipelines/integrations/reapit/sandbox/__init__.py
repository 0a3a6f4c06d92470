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

import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer

from pms_pipelines.integrations.reapit.mapping import is_tenant
from pms_pipelines.integrations.reapit.sandbox.generate import archive, generate_agency
from pms_pipelines.integrations.reapit.sandbox.server import SandboxState, make_server
from pms_pipelines.integrations.reapit.sandbox.store import CustomerStore, Record, load_fixture

__all__ = ["RATE_LIMIT_PER_S", "RunningSandbox", "start_sandbox"]
RATE_LIMIT_PER_S = 20.0
ENTITY_COLLECTIONS = {"property": "properties", "landlord": "landlords",
                      "tenant": "contacts", "tenancy": "tenancies"}
log = logging.getLogger("pms_pipelines.sandbox.reapit")


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

    def expire_tokens(self) -> int:
        """Make every issued access token invalid now, as if it had expired."""
        return self.state.expire_tokens()

    def store(self, agency_id: str) -> CustomerStore:
        return next(c for c in self.state.by_customer.values() if c.agency_id == agency_id)

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
        store = CustomerStore(spec["agency_id"], spec["customer_id"], spec["client_id"])
        if spec.get("fixture"):
            load_fixture(store, spec["fixture"])
        else:
            generate_agency(store, int(spec.get("units", 200)),
                            random.Random(f"{seed}:{spec['agency_id']}"))
        stores.append(store)
    if len({s.customer_id for s in stores}) != len(stores):
        raise ValueError("each agency needs its own customer_id")
    state = SandboxState(stores, clients, rate_limit_per_s, faults, seed, token_ttl_s)
    server = make_server(state, host, port)
    threading.Thread(target=server.serve_forever, args=(0.05,), name="reapit-sandbox",
                     daemon=True).start()
    bound_host, bound_port = server.server_address[:2]
    running = RunningSandbox(f"http://{bound_host}:{bound_port}", state, server)
    if churn_seconds:
        def churn_forever() -> None:
            while not running._stopping.wait(churn_seconds):
                log.info("churn: %s", running.churn_once())
        threading.Thread(target=churn_forever, name="reapit-churn", daemon=True).start()
    return running
