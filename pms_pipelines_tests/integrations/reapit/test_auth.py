"""What is Reapit's own: OAuth tokens that expire mid-pull, the token endpoint's address,
and one application (client id) reading several customers chosen by `reapit-customer`."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from pms_pipelines.canonical import Event
from pms_pipelines.integrations.kit import PmsApiError, PullRequest
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines.integrations.reapit.client import ReapitClient, token_url
from pms_pipelines.integrations.reapit.pull import pull
from pms_pipelines.integrations.reapit.sandbox import RunningSandbox, start_sandbox

FAST = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.01)
FIXTURE = (Path(__file__).resolve().parents[3]
           / "pms_pipelines/integrations/reapit/fixtures/agency_fixture.json")
APP = {"client_id": f"app-{secrets.token_hex(4)}", "client_secret": secrets.token_urlsafe(16)}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = start_sandbox(
        [{"agency_id": "north", **APP, "customer_id": "NTH", "units": 30},
         {"agency_id": "south", **APP, "customer_id": "STH", "fixture": str(FIXTURE)}],
        rate_limit_per_s=None)
    yield running
    running.stop()


def request(sandbox: RunningSandbox, customer: str, entity: str = "property",
            **credentials: str) -> PullRequest:
    return PullRequest(
        agency_id=customer, entity=entity, base_url=sandbox.base_url,
        credentials={**APP, "customer_id": customer, **credentials}, since=None,
        observed_at=datetime.now(timezone.utc), policy=FAST)


def test_a_token_expiring_mid_pull_is_renewed_once(sandbox: RunningSandbox) -> None:
    req = request(sandbox, "NTH")
    client = ReapitClient(req.base_url, req.credentials, page_size=5, policy=FAST)
    before = sandbox.state.tokens.requests
    events = pull.with_client(client, req)
    first = [next(events) for _ in range(7)]  # two pages read with the first token
    assert sandbox.expire_tokens() >= 1
    rest = list(events)  # the next page answers 401; the kit fetches a token and goes on
    ids = [e.source_id for e in first + rest if isinstance(e, Event)]
    assert len(ids) == len(set(ids)) == 30
    assert sandbox.state.tokens.requests - before == 2


def test_a_token_is_reused_until_it_expires(sandbox: RunningSandbox) -> None:
    def pull_every_entity(customer: str) -> None:
        for entity in ("property", "landlord", "tenant", "tenancy"):
            req = request(sandbox, customer, entity)
            client = ReapitClient(req.base_url, req.credentials, page_size=10, policy=FAST)
            list(pull.with_client(client, req))

    before = sandbox.state.tokens.requests
    # A run's four entity pulls, one client each, many pages: one token, the
    # application's, which the next customer's pulls reuse too.
    pull_every_entity("NTH")
    pull_every_entity("STH")
    assert sandbox.state.tokens.requests - before == 1
    # Refused once expired (401): a new one, shared from then on.
    assert sandbox.expire_tokens() >= 1
    pull_every_entity("NTH")
    assert sandbox.state.tokens.requests - before == 2


def test_a_token_is_not_shared_with_another_secret_or_address(sandbox: RunningSandbox) -> None:
    list(pull(request(sandbox, "NTH")))
    # Same application id, another secret: asked for (and refused), never reused.
    with pytest.raises(PmsApiError) as raised:
        list(pull(request(sandbox, "NTH", client_secret=secrets.token_urlsafe(16))))
    assert raised.value.status == 400 and raised.value.path.endswith("/token")
    other = start_sandbox([{"agency_id": "north", **APP, "customer_id": "NTH", "units": 3}],
                          rate_limit_per_s=None)
    try:
        req = request(other, "NTH")
        assert [e for e in pull(req) if isinstance(e, Event)]
        assert other.state.tokens.requests == 1
    finally:
        other.stop()


def test_the_customer_header_picks_the_agency(sandbox: RunningSandbox) -> None:
    north = {e.source_id for e in pull(request(sandbox, "NTH")) if isinstance(e, Event)}
    south = {e.source_id for e in pull(request(sandbox, "STH")) if isinstance(e, Event)}
    assert len(north) == 30
    assert south == {"RPS250001", "RPS250002", "RPS250003", "RPS250004"}


def test_a_customer_that_did_not_install_the_app_is_forbidden(sandbox: RunningSandbox) -> None:
    with pytest.raises(PmsApiError) as raised:
        list(pull(request(sandbox, "XYZ")))
    assert raised.value.status == 403
    assert APP["client_secret"] not in str(raised.value)


def test_a_wrong_secret_fails_at_the_token_endpoint(sandbox: RunningSandbox) -> None:
    wrong = secrets.token_urlsafe(16)
    with pytest.raises(PmsApiError) as raised:
        list(pull(request(sandbox, "NTH", client_secret=wrong)))
    assert raised.value.status == 400 and "invalid_client" in str(raised.value)
    assert raised.value.path.endswith("/token") and wrong not in str(raised.value)


@pytest.mark.parametrize("base_url, expected", [
    ("https://platform.reapit.cloud", "https://connect.reapit.cloud/token"),
    ("https://platform.reapit.cloud/", "https://connect.reapit.cloud/token"),
    ("http://127.0.0.1:8102", "http://127.0.0.1:8102/token"),
])
def test_token_url(base_url: str, expected: str) -> None:
    assert token_url(base_url) == expected


def test_more_than_five_requests_in_flight_for_a_customer_get_429() -> None:
    """Reapit allows 5 concurrent requests per customer (with the rate limit on)."""
    slow = start_sandbox([{"agency_id": "north", **APP, "customer_id": "NTH", "units": 3}],
                         rate_limit_per_s=1000, faults={"latency_ms": 300})
    try:
        token = requests.post(f"{slow.base_url}/token", data={"grant_type": "client_credentials"},
                              auth=(APP["client_id"], APP["client_secret"]), timeout=10)
        headers = {"Authorization": f"Bearer {token.json()['access_token']}",
                   "reapit-customer": "NTH", "api-version": "2020-01-31"}
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: requests.get(
                f"{slow.base_url}/properties/", headers=headers, timeout=10).status_code,
                range(8)))
        assert sorted(statuses) == [200] * 5 + [429] * 3, statuses
    finally:
        slow.stop()
