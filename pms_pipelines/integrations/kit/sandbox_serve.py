"""The kit's one sandbox: serves any `SandboxApi` declaration over a real HTTP server.

Per request: the vendor's auth (401), its rate limit and rolled faults (429, 5xx), the
collection at the path (404), the declared parameters only, parsed by type (the vendor's
400 otherwise), the declared filters, order and paging, and a 200 that may be cut short
by the `p_truncate` fault. The server plumbing (fault controls, churn thread, counters)
is `sandbox_server`'s.
"""

from __future__ import annotations

import collections
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import SplitResult, parse_qs

from pms_pipelines.integrations.kit import sandbox_server as kit
from pms_pipelines.integrations.kit.sandbox_api import Collection, Record, Refused, SandboxApi
from pms_pipelines.integrations.kit.sandbox_auth import TokenBook, basic_credentials
from pms_pipelines.integrations.kit.sandbox_store import AgencyStore, load_fixture
from pms_pipelines.integrations.kit.sandbox_variants import vary
from pms_pipelines.integrations.kit.sandbox_webhooks import Outbox, public_key_body

# A fixture's records without a stamp of their own count as saved then (reproducible).
FIXTURE_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class SandboxExchange:
    """One request a sandbox answered, as its observers see it (`body` before any cut)."""

    sandbox: str
    method: str
    target: str  # path and query, as requested
    headers: dict[str, str]
    status: int
    response_headers: dict[str, str]
    body: bytes
    truncated: bool


# Called with every exchange of every declared sandbox in this process, bar the
# `/_sandbox/` controls: the test suite checks each one against the vendor's spec.
OBSERVERS: list[Callable[[SandboxExchange], None]] = []


class DeclaredState(kit.SandboxState[AgencyStore]):
    def __init__(self, api: SandboxApi, stores: list[AgencyStore],
                 rate_limit_per_s: float | None, faults: dict | None, seed: int) -> None:
        super().__init__(stores, api.churn, rate_limit_per_s, faults, seed)
        self.api = api
        self.tokens = TokenBook()
        # Agencies served with variants (kit/sandbox_variants.py): rate and seeded rng.
        self.variants = {s.agency_id: (s.variants, random.Random(f"{seed}:{s.agency_id}:v"))
                         for s in stores if s.variants}
        self.in_flight: collections.Counter[str] = collections.Counter()  # per agency
        self.outbox = Outbox(api.webhooks, seed) if api.webhooks is not None else None
        for store in stores:
            store.outbox = self.outbox

    def enter(self, agency_id: str) -> bool:
        """Count a request in flight; False when the agency already has the most the
        vendor allows (a limit that holds only while rate limits are on)."""
        limit = self.api.max_in_flight if self.rate_limit_per_s is not None else None
        with self.lock:
            busy = limit is not None and self.in_flight[agency_id] >= limit
            self.in_flight[agency_id] += 1
        return not busy

    def leave(self, agency_id: str) -> None:
        with self.lock:
            self.in_flight[agency_id] -= 1


class DeclaredHandler(kit.SandboxHandler):
    state: DeclaredState  # set on the per-server subclass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              truncate: bool = False) -> None:
        if OBSERVERS and not self.path.startswith("/_sandbox/"):
            # Before the answer leaves: the test that asked is still the one running.
            exchange = SandboxExchange(
                self.state.api.name, self.command, self.path, dict(self.headers.items()),
                status, {"Content-Type": self.content_type, **(headers or {})}, body, truncate)
            for observe in OBSERVERS:
                observe(exchange)
        super()._send(status, body, headers, truncate)

    def _error(self, status: int, message: str | None = None,
               param: str | None = None) -> None:
        api = self.state.api
        body = api.error_body(status, message or api.message(status), param)
        self._send(status, json.dumps(body).encode(), dict(api.error_headers.get(status, {})))

    def bad_request_body(self, message: str) -> bytes:
        return json.dumps(self.state.api.error_body(400, message, None)).encode()

    def not_found_body(self, path: str) -> bytes:
        api = self.state.api
        return json.dumps(api.error_body(404, api.message(404), None)).encode()

    def post_extra(self, path: str, payload: bytes) -> bool:
        """The vendor's token endpoint (a form), and `/_sandbox/expire-tokens`."""
        if path == "/_sandbox/expire-tokens":
            self._send(200, json.dumps({"expired": self.state.tokens.expire()}).encode())
            return True
        auth = self.state.api.auth
        if auth.token_path is None or path != auth.token_path:
            return False
        form = {k: v[0] for k, v in parse_qs(payload.decode(errors="replace")).items()}
        basic = basic_credentials(self.headers.get("Authorization") or "")
        status, body, headers = auth.grant(form, basic, self.state.stores, self.state.tokens)
        self._send(status, json.dumps(body).encode(), headers)
        return True

    def serve_get(self, url: SplitResult) -> None:
        api = self.state.api
        try:
            store, rate_key = api.auth.agency_of(
                {k.lower(): v for k, v in self.headers.items()}, self.state.stores,
                self.state.tokens)
        except Refused as refused:
            return self._error(refused.status, refused.message)
        admitted = self.state.enter(store.agency_id)
        try:
            if not admitted:  # over the vendor's concurrent requests
                return self._error(429)
            self._serve(store, rate_key, url)
        finally:
            self.state.leave(store.agency_id)

    def _serve(self, store: AgencyStore, rate_key: str, url: SplitResult) -> None:
        api = self.state.api
        self.delay()
        if self.throttled(rate_key):
            return self._error(429)
        if self.state.roll("p5xx"):
            return self._error(api.fault_status)
        key_path = api.webhooks.key_path if api.webhooks is not None else None
        if key_path and url.path.startswith(api.prefix + key_path):
            return self._signing_key(url.path[len(api.prefix + key_path):])
        found = api.collection_at(url.path)
        if found is None:
            return self._error(404)
        collection, item = found
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            values = collection.values(query)
            if collection.check is not None:
                collection.check(values)
            with store.lock:  # encoded under the lock: nothing stored is copied
                body, headers = self._answer(store, collection, item, values, url.path, query)
        except Refused as refused:
            return self._error(refused.status, refused.message, refused.param)
        self.send_data(200, body, headers)

    def _signing_key(self, key_id: str) -> None:
        """The vendor's public webhook-signing key by its id."""
        key = self.state.outbox.key if self.state.outbox is not None else None
        if key is None or key.key_id != key_id:
            return self._error(404)
        self.send_data(200, json.dumps(public_key_body([key])).encode(), {})

    def _answer(self, store: AgencyStore, collection: Collection, item: str | None,
                values: dict[str, Any], path: str, query: dict[str, list[str]]
                ) -> tuple[bytes, dict[str, str]]:
        serve = collection.serve(values, self.state.api.drop_nulls)
        if store.agency_id in self.state.variants:  # the store's lock keeps the rng's draws apart
            rate, rng = self.state.variants[store.agency_id]
            serve = _varied(serve, rate, rng)
        if item is not None:
            record = next((r for r in store.records[collection.name].values()
                           if str(r.get(collection.id_field)) == item), None)
            if record is None:
                raise Refused(404, f"{collection.name} {item} was not found")
            return json.dumps(serve(record)).encode(), {}
        records = store.matching(collection.name, collection.keeps(values))
        if collection.order is not None:
            collection.order(records, values)
        body, headers = collection.paging.page(records, values, serve, path, query)
        return json.dumps(body).encode(), headers


def _varied(serve: Callable[[Record], Record], rate: float, rng: random.Random
            ) -> Callable[[Record], Record]:
    return lambda record: vary(serve(record), rng, rate)


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

    def expire_tokens(self) -> int:
        """Make every issued access token invalid now, as if it had expired."""
        return self.state.tokens.expire()

    @property
    def webhooks(self) -> Outbox:
        """The sandbox's webhooks: subscribe a URL, deliver by hand, drop on purpose."""
        if self.state.outbox is None:
            raise AttributeError(f"{self.state.api.name} has no webhooks")
        return self.state.outbox

    def stop(self) -> None:
        if self.state.outbox is not None:
            self.state.outbox.stop()
        super().stop()



def start_declared(api: SandboxApi, agencies: list[dict], *, credential_fields: tuple[str, ...],
                   host: str = "127.0.0.1", port: int = 0, churn_seconds: float | None = None,
                   rate_limit_per_s: float | None = None, faults: dict | None = None,
                   seed: int = 7, unique: str | None = None, token_ttl_s: float | None = None,
                   running: type[DeclaredSandbox] = DeclaredSandbox) -> DeclaredSandbox:
    """Serve `api` for `agencies` (each: `agency_id`, its credentials, `units` to generate
    or a `fixture` file, and optionally `variants`, the share of records served varied:
    kit/sandbox_variants.py) in background threads; `.stop()` when done. Each
    agency's `unique` credential (default: the first) names it alone; access tokens,
    where the vendor issues them, last `token_ttl_s` (else the declaration's)."""
    if token_ttl_s is not None:
        auth: Any = api.auth  # a token-issuing auth: a dataclass with `ttl_s`
        api = replace(api, auth=replace(auth, ttl_s=token_ttl_s))
    stores = []
    for spec in agencies:
        store = AgencyStore(api, spec["agency_id"], {f: spec[f] for f in credential_fields},
                            variants=float(spec.get("variants", 0.0)),
                            webhook_account=str(spec.get("webhook_account", spec["agency_id"])),
                            webhook_secret=spec.get("webhook_secret", ""))
        if spec.get("fixture"):
            load_fixture(store, spec["fixture"], unstamped=FIXTURE_TIME)
        else:
            api.generate(store, int(spec.get("units", 200)),
                         random.Random(f"{seed}:{spec['agency_id']}"))
        stores.append(store)
    first = unique or credential_fields[0]
    if len({s.credentials[first] for s in stores}) != len(stores):
        raise ValueError(f"each agency needs its own {first}")
    if unique is not None:  # one application serves several agencies, with one secret
        shared: dict[str, dict[str, str]] = {}
        for store in stores:
            app = {f: v for f, v in store.credentials.items() if f != unique}
            if shared.setdefault(app[credential_fields[0]], app) != app:
                raise ValueError(f"client {app[credential_fields[0]]} given two secrets")
    handler = type(f"{api.name.title()}Handler", (DeclaredHandler,), {
        "server_version": f"{api.name.title()}Sandbox/2", "content_type": api.content_type,
        "log": logging.getLogger(f"pms_pipelines.sandbox.{api.name}")})
    state = DeclaredState(api, stores, rate_limit_per_s, faults, seed)
    return kit.start_server(running, state, handler, name=api.name, host=host,
                            port=port, path=api.prefix, churn_seconds=churn_seconds)
