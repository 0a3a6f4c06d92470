"""A local PropertyMe API for tests and the local stack.

`start_sandbox(...)` serves, on loopback, the endpoints the integration reads under
`/api` (the spec's basePath) and the OAuth token endpoint `/connect/token`, which rotates
the refresh token on every use and refuses a used one at once, like PropertyMe's identity
server (no reuse or grace period: none is documented, so none may be relied on);
`authorise(agency_id)` stands for the agency connecting again.
It filters on the `Timestamp` change stamp, pages /v1/lots/archived with Offset/Limit,
answers 429 above the assumed 10 requests/s per client and sends ServiceStack error bodies.
Each agency is generated (seeded, `"units": N`) or loaded from a fixture file in
PropertyMe's own response format (`"fixture": path`). Churn mutates the data every
`churn_seconds`; faults (latency, 429, 5xx, truncated bodies) apply to the API, not the
token endpoint (a separate host at PropertyMe), set at start or with `POST /_sandbox/faults`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pms_pipelines.integrations.kit import sandbox_server as kit
from pms_pipelines.integrations.propertyme.sandbox.generate import generate_agency
from pms_pipelines.integrations.propertyme.sandbox.server import Handler, SandboxState
from pms_pipelines.integrations.propertyme.sandbox.store import AgencyStore, load_fixture

__all__ = ["RunningSandbox", "start_sandbox"]
DEFAULT_RATE_LIMIT_PER_S = 10.0


class RunningSandbox(kit.RunningServer[AgencyStore]):
    """The kit's running server (stop, churn_once, set_faults, store) plus PropertyMe's
    own way to change and archive a record."""

    state: SandboxState

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

    def authorise(self, agency_id: str) -> str:
        """The agency connects again (the authorisation-code step, done out of band at
        PropertyMe): a new refresh token, the only valid one from now on."""
        return self.store(agency_id).authorise()


def start_sandbox(
    agencies: list[dict], *, host: str = "127.0.0.1", port: int = 0,
    churn_seconds: float | None = None,
    rate_limit_per_s: float | None = DEFAULT_RATE_LIMIT_PER_S,
    faults: dict | None = None, seed: int = 7,
) -> RunningSandbox:
    """Start the sandbox in background threads; call `.stop()` when done."""
    stores = [kit.fill_store(AgencyStore(spec["agency_id"], spec["client_id"],
                                         spec["client_secret"], spec["refresh_token"]),
                             spec, seed, load_fixture, generate_agency) for spec in agencies]
    if len({s.client_id for s in stores}) != len(stores):
        raise ValueError("each agency needs its own client_id")
    return kit.start_server(RunningSandbox, SandboxState(stores, rate_limit_per_s, faults, seed),
                            Handler, name="propertyme", host=host, port=port, path="/api",
                            churn_seconds=churn_seconds)
