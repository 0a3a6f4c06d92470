"""The Buildium client and pull against the sandbox, over real HTTP on loopback."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import requests

from pms_pipelines.integrations.buildium import client as buildium_client
from pms_pipelines.integrations.buildium.client import BuildiumClient
from pms_pipelines.integrations.buildium.pull import pull
from pms_pipelines.integrations.buildium.sandbox import RunningSandbox, start_sandbox
from pms_pipelines.integrations.kit.sandbox_paging import OffsetLimit
from pms_pipelines.integrations.kit import PmsApiError, PullRequest, Rejected, RetryPolicy
from pms_pipelines.integrations.kit.paging import PageRead

CREDS = {"client_id": "test-agency-a", "client_secret": "not-a-real-secret-a"}
FAST = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.01)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = start_sandbox(
        [{"agency_id": "agency-a", **CREDS, "units": 60},
         {"agency_id": "agency-b", "client_id": "test-agency-b",
          "client_secret": "not-a-real-secret-b", "units": 30}],
        rate_limit_per_s=None, seed=11)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def no_faults(sandbox: RunningSandbox) -> Iterator[None]:
    sandbox.state.counts.clear()
    yield
    sandbox.set_faults({"latency_ms": 0, "p429": 0, "p5xx": 0, "p_truncate": 0})


def client(sandbox: RunningSandbox, **kwargs) -> BuildiumClient:
    kwargs.setdefault("rate_limit_per_s", None)
    kwargs.setdefault("policy", FAST)
    return BuildiumClient(sandbox.base_url, CREDS["client_id"], CREDS["client_secret"], **kwargs)


def request(sandbox: RunningSandbox, entity: str, since: datetime | None = None) -> PullRequest:
    return PullRequest(agency_id="agency-a", entity=entity, base_url=sandbox.base_url,
                       credentials=CREDS, since=since, observed_at=datetime.now(timezone.utc))


def test_paging_reads_every_page_up_to_the_total(sandbox: RunningSandbox) -> None:
    reads: list[PageRead] = []
    units = list(client(sandbox, page_size=7, progress=reads.append).units())
    total = len(sandbox.store("agency-a").records["units"])
    assert len(units) == total == 60 and len({u["Id"] for u in units}) == total
    assert len(reads) == math.ceil(total / 7)
    assert reads[-1] == PageRead("/v1/rentals/units", 9, total, total, total - 8 * 7)
    assert str(reads[-1]).endswith(f"page 9, {total} of {total} records")


def test_x_total_count_and_limit_cap(sandbox: RunningSandbox) -> None:
    headers = {"x-buildium-client-id": CREDS["client_id"],
               "x-buildium-client-secret": CREDS["client_secret"]}
    response = requests.get(f"{sandbox.base_url}/v1/rentals/units",
                            params={"limit": 5000, "offset": 55}, headers=headers, timeout=5)
    assert response.status_code == 200 and response.headers["X-Total-Count"] == "60"
    assert len(response.json()) == 5


def test_agencies_are_told_apart_by_their_credentials(sandbox: RunningSandbox) -> None:
    b = BuildiumClient(sandbox.base_url, "test-agency-b", "not-a-real-secret-b",
                       rate_limit_per_s=None)
    ids_b = {u["Id"] for u in b.units()}
    ids_a = {u["Id"] for u in client(sandbox).units()}
    assert len(ids_b) == 30 and not ids_a & ids_b


def _updated(store) -> list[tuple[str, int, datetime]]:  # noqa: ANN001
    """(collection, id, last-updated time) of every record: the time Buildium filters on."""
    return [(c, i, r["__updated"]) for c, records in store.records.items()
            for i, r in records.items()]


def test_incremental_pull_returns_only_changed_records(sandbox: RunningSandbox) -> None:
    watermark = datetime.now(timezone.utc).replace(microsecond=0)
    sandbox.churn_once()
    store = sandbox.store("agency-a")
    for entity, collection in [("tenant", "tenants"), ("landlord", "owners")]:
        changed = {str(i) for c, i, at in _updated(store)
                   if c == collection and at >= watermark}
        pulled = {e.source_id for e in pull(request(sandbox, entity, since=watermark))}
        assert pulled == changed
    tenancies = {e.source_id for e in pull(request(sandbox, "tenancy", since=watermark))}
    changed_leases = {str(i) for c, i, at in _updated(store)
                      if c == "leases" and at >= watermark}
    changed_leases |= {str(store.records["rents"][i]["LeaseId"])
                       for c, i, at in _updated(store) if c == "rents" and at >= watermark}
    assert tenancies == changed_leases and 0 < len(tenancies) < len(store.records["leases"])
    properties = list(pull(request(sandbox, "property", since=watermark)))
    assert 0 < len(properties) < len(store.records["units"])


# With nothing changed, one request per collection the entity is built from.
@pytest.mark.parametrize("entity, requests_made", [
    ("property", 3), ("landlord", 1), ("tenant", 1), ("tenancy", 2)])
def test_a_future_watermark_returns_nothing(
    sandbox: RunningSandbox, entity: str, requests_made: int
) -> None:
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert list(pull(request(sandbox, entity, since=future))) == []
    assert sum(sandbox.state.counts.values()) == requests_made


def test_a_watermark_older_than_the_rent_range_is_read_in_windows(
    sandbox: RunningSandbox,
) -> None:
    """Rents allow a date range of at most 365 days: the sandbox refuses a longer one, as
    the spec says, and the client reads an old watermark in windows, each rent once."""
    since = datetime.now(timezone.utc) - timedelta(days=800)
    headers = {"x-buildium-client-id": CREDS["client_id"],
               "x-buildium-client-secret": CREDS["client_secret"]}
    refused = requests.get(f"{sandbox.base_url}/v1/leases/rent", headers=headers, timeout=5,
                           params={"lastupdatedfrom": since.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert refused.status_code == 400
    assert "365 days" in refused.json()["Errors"][0]["Value"]
    sandbox.state.counts.clear()
    windowed = [r["Id"] for r in client(sandbox).rents(since)]
    assert sandbox.state.counts == {"200": 3} and "400" not in sandbox.state.counts
    assert len(windowed) == len(set(windowed))
    assert set(windowed) == set(sandbox.store("agency-a").records["rents"])
    tenancies = {e.source_id for e in pull(request(sandbox, "tenancy", since=since))}
    assert tenancies == {str(i) for i in sandbox.store("agency-a").records["leases"]}


def test_incremental_property_maps_units_of_changed_rentals_and_owners(
    sandbox: RunningSandbox,
) -> None:
    store = sandbox.store("agency-a")
    watermark = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    with store.lock:
        rental = store.records["rentals"][min(store.records["rentals"])]
        owner = next(o for o in store.records["owners"].values()
                     if rental["Id"] not in o["PropertyIds"])
        rental["Name"] = "Renamed Rental"
        store.put("rentals", rental, watermark + timedelta(minutes=1))
        store.put("owners", owner, watermark + timedelta(minutes=1))
    changed = {str(u["Id"]) for u in store.records["units"].values()
               if u["PropertyId"] in {rental["Id"], *owner["PropertyIds"]}}
    incremental = {e.source_id: e for e in pull(request(sandbox, "property", since=watermark))}
    assert set(incremental) == changed
    # Joined with only the rentals and owners of those units, the records are the full pull's.
    full = {e.source_id: e for e in pull(request(sandbox, "property"))}
    assert {i: e.data for i, e in incremental.items()} == {i: full[i].data for i in changed}


def test_full_pull_yields_only_the_requested_entity(sandbox: RunningSandbox) -> None:
    items = list(pull(request(sandbox, "tenancy")))
    assert items and all(not isinstance(i, Rejected) and i.entity == "tenancy" for i in items)
    assert len(items) == len(sandbox.store("agency-a").records["leases"])


def test_429_then_success_is_retried(sandbox: RunningSandbox) -> None:
    sandbox.set_faults({"p429": 0.5})
    units = list(client(sandbox, page_size=5, policy=RetryPolicy(
        max_attempts=12, base_delay_s=0.001, max_delay_s=0.01)).units())
    assert len(units) == 60
    assert sandbox.state.counts["429"] > 0


def test_sandbox_rate_limit_is_respected_by_the_client_limiter() -> None:
    limited = start_sandbox([{"agency_id": "r", **CREDS, "units": 8}], rate_limit_per_s=10)
    try:
        paced = BuildiumClient(limited.base_url, CREDS["client_id"], CREDS["client_secret"],
                               page_size=1)
        assert len(list(paced.units())) == 8 and limited.state.counts["429"] == 0
        headers = {"x-buildium-client-id": CREDS["client_id"],
                   "x-buildium-client-secret": CREDS["client_secret"]}
        # All at once, so they land in one second even on a loaded machine.
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(lambda _: requests.get(
                f"{limited.base_url}/v1/rentals", headers=headers, timeout=5).status_code,
                range(12)))
        assert 429 in statuses  # the sandbox enforces Buildium's 10 requests/s
    finally:
        limited.stop()


def test_5xx_is_retried_then_raises_a_clear_error(sandbox: RunningSandbox) -> None:
    sandbox.set_faults({"p5xx": 1.0})
    with pytest.raises(PmsApiError) as caught:
        list(client(sandbox).rentals())
    exc = caught.value
    assert exc.status == 503 and exc.attempts == FAST.max_attempts
    assert sandbox.state.counts["503"] == FAST.max_attempts
    assert "GET /v1/rentals" in str(exc) and "temporarily unavailable" in str(exc)


def test_truncated_bodies_are_retried(sandbox: RunningSandbox) -> None:
    sandbox.set_faults({"p_truncate": 0.5})
    units = list(client(sandbox, page_size=10, policy=RetryPolicy(
        max_attempts=12, base_delay_s=0.001, max_delay_s=0.01)).units())
    assert len(units) == 60 and sandbox.state.counts["truncated"] > 0


@pytest.mark.parametrize("client_id, secret", [
    (CREDS["client_id"], "wrong-secret-value"), ("nobody", "another-wrong-secret"),
])
def test_bad_credentials_fail_clearly_without_the_secret(
    sandbox: RunningSandbox, client_id: str, secret: str, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    req = PullRequest(agency_id="agency-a", entity="landlord", base_url=sandbox.base_url,
                      credentials={"client_id": client_id, "client_secret": secret},
                      since=None, observed_at=datetime.now(timezone.utc))
    with pytest.raises(PmsApiError) as caught:
        list(pull(req))
    assert caught.value.status == 401 and "HTTP 401" in str(caught.value)
    assert "secret" in str(caught.value).lower()  # the vendor's message says what is wrong
    for text in (str(caught.value), repr(req), caplog.text):
        assert secret not in text


def test_unknown_entity_is_refused(sandbox: RunningSandbox) -> None:
    with pytest.raises(ValueError, match="no entity"):
        pull.with_client(client(sandbox), request(sandbox, "invoice"))


def test_churn_thread_changes_data_over_time() -> None:
    churning = start_sandbox([{"agency_id": "c", **CREDS, "units": 10}], churn_seconds=0.05,
                             rate_limit_per_s=None)
    try:
        store = churning.store("c")
        started = datetime.now(timezone.utc)
        deadline = started + timedelta(seconds=5)

        def changed() -> set[str]:
            with store.lock:
                return {collection for collection, records in store.records.items()
                        for record in records.values() if record["__updated"] >= started}

        while changed() < {"units", "tenants"} and datetime.now(timezone.utc) < deadline:
            churning._stopping.wait(0.02)
        # Records were stamped as changed by the churn thread, not by the test.
        assert changed() >= {"units", "tenants"}
    finally:
        churning.stop()


def test_faults_can_be_set_over_http(sandbox: RunningSandbox) -> None:
    response = requests.post(f"{sandbox.base_url}/_sandbox/faults", json={"p5xx": 0.25},
                             timeout=5)
    assert response.status_code == 200 and sandbox.state.faults["p5xx"] == 0.25
    bad = requests.post(f"{sandbox.base_url}/_sandbox/faults", json={"p_fire": 1}, timeout=5)
    assert bad.status_code == 400


def test_a_provider_serving_fewer_than_asked_costs_no_wasted_request(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox caps `limit` below what the client asks: after the first short page the
    client asks for the size served and every request it sends is a page it reads. Pages
    asked ahead were thrown away after each short page (more than half the requests)."""
    api = sandbox.state.api
    monkeypatch.setattr(sandbox.state, "api", replace(api, collections=tuple(
        replace(c, paging=replace(c.paging, maximum=4)) if isinstance(c.paging, OffsetLimit)
        else c for c in api.collections)))
    reads: list[PageRead] = []
    units = list(client(sandbox, page_size=10, progress=reads.append).units())
    assert [u["Id"] for u in units] == sorted(sandbox.store("agency-a").records["units"])
    assert sandbox.state.counts["200"] == len(reads) == math.ceil(60 / 4)


def test_pages_that_never_end_fail_the_pull_clearly(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the paginator's bound a read is a `PmsApiError` naming the path (the pull run
    fails and keeps its watermark), never an endless loop."""
    units = buildium_client.UNITS
    monkeypatch.setattr(buildium_client, "UNITS", replace(
        units, paginator=replace(units.paginator, max_pages=3)))
    capped = client(sandbox, page_size=7)
    with pytest.raises(PmsApiError, match=r"GET /v1/rentals/units .*kept serving pages: "
                                          r"stopped after 3 pages \(21 records\)"):
        list(capped.units())
