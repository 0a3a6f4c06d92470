"""The kit's one sandbox: serves any `SandboxApi` declaration over a real HTTP server.

Per request: the vendor's auth (401), its rate limit and rolled faults (429, 5xx), the
collection at the path (404), the declared parameters only, parsed by type (the vendor's
400 otherwise), the declared filters, order and paging, and a 200 that may be cut short
by the `p_truncate` fault. The server plumbing (fault controls, churn thread, counters)
is `sandbox_server`'s.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timezone
from typing import Any
from urllib.parse import SplitResult, parse_qs

from pms_pipelines.integrations.kit import sandbox_server as kit
from pms_pipelines.integrations.kit.sandbox_api import Collection, Refused, SandboxApi
from pms_pipelines.integrations.kit.sandbox_store import AgencyStore, load_fixture, served

# A fixture's records without a stamp of their own count as saved then (reproducible).
FIXTURE_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)


class DeclaredState(kit.SandboxState[AgencyStore]):
    def __init__(self, api: SandboxApi, stores: list[AgencyStore],
                 rate_limit_per_s: float | None, faults: dict | None, seed: int) -> None:
        super().__init__(stores, api.churn, rate_limit_per_s, faults, seed)
        self.api = api


class DeclaredHandler(kit.SandboxHandler):
    state: DeclaredState  # set on the per-server subclass

    def _error(self, status: int, message: str | None = None,
               param: str | None = None) -> None:
        api = self.state.api
        body = api.error_body(status, message or api.message(status), param)
        self._send(status, json.dumps(body).encode())

    def bad_request_body(self, message: str) -> bytes:
        return json.dumps(self.state.api.error_body(400, message, None)).encode()

    def not_found_body(self, path: str) -> bytes:
        api = self.state.api
        return json.dumps(api.error_body(404, api.message(404), None)).encode()

    def serve_get(self, url: SplitResult) -> None:
        api = self.state.api
        store = api.auth.agency_of({k.lower(): v for k, v in self.headers.items()},
                                   self.state.stores)
        if store is None:
            return self._error(401)
        if self.throttled(store.agency_id):
            return self._error(429)
        if self.state.roll("p5xx"):
            return self._error(api.fault_status)
        found = api.collection_at(url.path)
        if found is None:
            return self._error(404)
        collection, item = found
        try:
            values = collection.values(parse_qs(url.query, keep_blank_values=True))
            if collection.check is not None:
                collection.check(values)
            with store.lock:  # encoded under the lock: nothing stored is copied
                body, headers = self._answer(store, collection, item, values)
        except Refused as refused:
            return self._error(refused.status, refused.message, refused.param)
        self.send_data(200, body, headers)

    @staticmethod
    def _answer(store: AgencyStore, collection: Collection, item: str | None,
                values: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        if item is not None:
            record = next((r for r in store.records[collection.name].values()
                           if str(r.get(collection.id_field)) == item), None)
            if record is None:
                raise Refused(404, f"{collection.name} {item} was not found")
            return json.dumps(served(record)).encode(), {}
        records = store.matching(collection.name, collection.keeps(values))
        if collection.order is not None:
            collection.order(records, values)
        page, headers = collection.paging.page(records, values)
        return json.dumps([served(r) for r in page]).encode(), headers


class DeclaredSandbox(kit.RunningServer[AgencyStore]):
    """A running sandbox of one declaration: the kit's controls, plus changing and
    deleting one record the way the vendor does."""

    state: DeclaredState

    def _first(self, agency_id: str, entity: str) -> tuple[AgencyStore, str, Any]:
        store = self.store(agency_id)
        collection, counts = self.state.api.entities[entity]
        with store.lock:
            return store, collection, min(i for i, r in store.records[collection].items()
                                          if counts(r))

    def touch(self, agency_id: str, entity: str) -> str:
        """Save the first record behind `entity` again: its stamp moves to now."""
        store, collection, record_id = self._first(agency_id, entity)
        with store.lock:
            store.put(collection, store.records[collection][record_id],
                      datetime.now(timezone.utc))
        return str(record_id)

    def remove(self, agency_id: str, entity: str) -> str:
        """Delete (or archive) the first record behind `entity` as the vendor does."""
        store, collection, record_id = self._first(agency_id, entity)
        with store.lock:
            self.state.api.remove(store, collection, record_id, datetime.now(timezone.utc))
        return str(record_id)


def start_declared(api: SandboxApi, agencies: list[dict], *, credential_fields: tuple[str, ...],
                   host: str = "127.0.0.1", port: int = 0, churn_seconds: float | None = None,
                   rate_limit_per_s: float | None = None, faults: dict | None = None,
                   seed: int = 7) -> DeclaredSandbox:
    """Serve `api` for `agencies` (each: `agency_id`, its credentials, and `units` to
    generate or a `fixture` file) in background threads; `.stop()` when done."""
    stores = []
    for spec in agencies:
        store = AgencyStore(api, spec["agency_id"],
                            {f: spec[f] for f in credential_fields})
        if spec.get("fixture"):
            load_fixture(store, spec["fixture"], unstamped=FIXTURE_TIME)
        else:
            api.generate(store, int(spec.get("units", 200)),
                         random.Random(f"{seed}:{spec['agency_id']}"))
        stores.append(store)
    first = credential_fields[0]
    if len({s.credentials[first] for s in stores}) != len(stores):
        raise ValueError(f"each agency needs its own {first}")
    handler = type(f"{api.name.title()}Handler", (DeclaredHandler,), {
        "server_version": f"{api.name.title()}Sandbox/2", "content_type": api.content_type,
        "log": logging.getLogger(f"pms_pipelines.sandbox.{api.name}")})
    state = DeclaredState(api, stores, rate_limit_per_s, faults, seed)
    return kit.start_server(DeclaredSandbox, state, handler, name=api.name, host=host,
                            port=port, path=api.prefix, churn_seconds=churn_seconds)
