"""What is specific to Propertyware, against its sandbox over HTTP: the unit ← building and
portfolio join on incremental pulls, deactivated records, the three-header auth and
`ErrorResponse` messages, and the documented paging limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import requests

from pms_pipelines.canonical import Event
from pms_pipelines.integrations.kit import PmsApiError, PullRequest
from pms_pipelines.integrations.kit.http import RetryPolicy
from pms_pipelines.integrations.propertyware import INTEGRATION
from pms_pipelines.integrations.kit.vendor_errors import read_error
from pms_pipelines.integrations.propertyware.client import AUTH_HEADERS, ERRORS
from pms_pipelines.integrations.propertyware.sandbox import RunningSandbox, start_sandbox

CREDENTIALS = {"client_id": "test-client", "client_secret": "test-secret", "system_id": "42"}
FIXTURE = INTEGRATION.fixtures / "agency_fixture.json"  # type: ignore[operator]


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_sandbox([{"agency_id": "f", "fixture": str(FIXTURE), **CREDENTIALS}],
                            rate_limit_per_s=None)
    yield running
    running.stop()


def pull(sandbox: RunningSandbox, entity: str, since: datetime | None = None,
         credentials: dict[str, str] = CREDENTIALS) -> list:
    return list(INTEGRATION.pull(PullRequest(
        "f", entity, sandbox.base_url, credentials, since, datetime.now(timezone.utc),
        policy=RetryPolicy(max_attempts=2, base_delay_s=0.001))))


def _ids(items: list) -> set[str]:
    return {i.source_id for i in items if isinstance(i, Event)}


def _save_again(sandbox: RunningSandbox, collection: str, record_id: int) -> None:
    store = sandbox.store("f")
    store.put(collection, store.records[collection][record_id], datetime.now(timezone.utc))


@pytest.mark.parametrize("collection, record_id, units", [
    ("buildings", 3001, {"4001", "4002"}),  # a building's name and type feed its units
    ("portfolios", 7002, {"4003"}),  # a portfolio's owners are its units' landlords
])
def test_incremental_property_pull_rereads_units_of_changed_parents(
    sandbox: RunningSandbox, collection: str, record_id: int, units: set[str]
) -> None:
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    _save_again(sandbox, collection, record_id)
    assert _ids(pull(sandbox, "property", since)) == units


def test_deactivated_units_are_read_as_inactive_not_lost(sandbox: RunningSandbox) -> None:
    url = f"{sandbox.base_url}/units"
    headers = {h: CREDENTIALS[f] for h, f in AUTH_HEADERS.items()}
    visible = {u["id"] for u in requests.get(url, headers=headers, timeout=5).json()}
    assert 4005 not in visible  # hidden by default, as Propertyware does
    events = {e.source_id: e for e in pull(sandbox, "property")}
    assert events["4005"].data.status == "inactive"


@pytest.mark.parametrize("field", sorted(CREDENTIALS))
def test_each_of_the_three_headers_is_checked(sandbox: RunningSandbox, field: str) -> None:
    wrong = {**CREDENTIALS, field: "wrong-value-123"}
    with pytest.raises(PmsApiError) as raised:
        pull(sandbox, "tenant", credentials=wrong)
    assert raised.value.status == 401
    assert raised.value.vendor_message == "The API key couldn't be authorized."
    assert "wrong-value-123" not in str(raised.value) and "test-secret" not in str(raised.value)


@pytest.mark.off_spec("a parameter in the wrong case gets Propertyware's 404")
def test_paging_limits_and_total_header(sandbox: RunningSandbox) -> None:
    url = f"{sandbox.base_url}/contacts"
    headers = {h: CREDENTIALS[f] for h, f in AUTH_HEADERS.items()}
    page = requests.get(url, params={"offset": 2, "limit": 3}, headers=headers, timeout=5)
    assert [c["id"] for c in page.json()] == [8003, 8004, 8501]
    assert page.headers["X-Total-Count"] == "9"
    capped = requests.get(url, params={"limit": 10_000}, headers=headers, timeout=5)
    assert len(capped.json()) == 9  # above 500 is taken as 500, not refused
    wrong_case = requests.get(url, params={"Limit": 3}, headers=headers, timeout=5)
    assert wrong_case.status_code == 404  # parameter names are case-sensitive


def test_error_message_reads_the_error_response() -> None:
    body = (b'{"userMessage": "Invalid request", "errorCode": "BAD_REQUEST",'
            b' "errors": [{"key": "limit", "message": "must be at least 1"}]}')
    said = read_error(body, (ERRORS,))
    assert (said.code, said.message) == ("BAD_REQUEST", "Invalid request (limit: must be at least 1)")
    gateway = read_error(b"<html>gateway</html>", (ERRORS,))  # a proxy's page: not copied
    assert str(gateway) == "no error fields the kit knows in a non-JSON body (20-byte body)"
