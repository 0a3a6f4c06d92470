"""The one HTTP retry policy, with a scripted session and a fake clock (no real sleeping)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import pytest
import requests

from pms_pipelines.integrations.kit import ApiSender, PmsApiError, RateWindow, RetryPolicy
from pms_pipelines.integrations.kit.http import retry_after_seconds
from pms_pipelines.integrations.kit.vendor_errors import ErrorFields

SECRET = "s3cr3t-value-for-tests"


@dataclass
class FakeResponse:
    status_code: int
    content: bytes = b"[]"
    headers: dict[str, str] = field(default_factory=dict)


class ScriptedSession:
    """Plays back responses (or raises exceptions) in order; records what was asked."""

    def __init__(self, *script: FakeResponse | Exception) -> None:
        self.script = list(script)
        self.headers: dict[str, str] = {}
        self.calls: list[tuple[str, object]] = []

    def request(
        self, method: str, url: str, params: object = None, data: object = None,
        headers: object = None, timeout: object = None,
    ) -> FakeResponse:
        assert timeout is not None, "every request needs a timeout"
        self.calls.append((url, params))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


def sender(*script: FakeResponse | Exception, **policy: float) -> tuple[ApiSender, list[float]]:
    sleeps: list[float] = []
    api = ApiSender(
        "https://pms.example.com/", {"x-secret": SECRET}, secrets=(SECRET,),
        policy=RetryPolicy(**policy), session=ScriptedSession(*script),  # type: ignore[arg-type]
        sleep=sleeps.append, rng=lambda: 1.0,
        error_schemas=(ErrorFields(code=("ErrorCode",), message=("UserMessage",)),),
    )
    return api, sleeps


def error(status: int, message: str = "boom", **headers: str) -> FakeResponse:
    return FakeResponse(status, f'{{"UserMessage": "{message}"}}'.encode(), headers)


@pytest.mark.parametrize("script, expected_sleeps", [
    ([error(429, **{"Retry-After": "3"}), FakeResponse(200)], [3.0]),
    ([error(429), error(429), FakeResponse(200)], [0.2, 0.4]),  # full jitter, rng pinned at 1
    ([error(500), error(503), error(502), FakeResponse(200)], [0.2, 0.4, 0.8]),
    ([requests.ConnectionError("refused"), FakeResponse(200)], [0.2]),
    ([requests.Timeout("slow"), FakeResponse(200)], [0.2]),
    ([requests.exceptions.ChunkedEncodingError("cut"), FakeResponse(200)], [0.2]),
    ([FakeResponse(200, b'[{"Id": 1'), FakeResponse(200)], [0.2]),
    ([error(429, **{"Retry-After": "3600"}), FakeResponse(200)], [30.0]),  # capped
], ids=["429-retry-after", "429-backoff", "5xx", "connection", "timeout", "chunked",
        "truncated-json", "retry-after-capped"])
def test_retryable_failures_are_retried(script: list, expected_sleeps: list[float]) -> None:
    api, sleeps = sender(*script)
    assert api.get_json("/v1/things", {"limit": 1})[0] == []
    assert sleeps == pytest.approx(expected_sleeps)


def test_attempts_are_bounded_and_the_error_is_clear() -> None:
    api, sleeps = sender(*[error(503, "Down for maintenance")] * 3, max_attempts=3)
    with pytest.raises(PmsApiError) as caught:
        api.get_json("/v1/things")
    exc = caught.value
    assert (exc.status, exc.attempts, exc.method, exc.path) == (503, 3, "GET", "/v1/things")
    assert "Down for maintenance" in str(exc) and "HTTP 503" in str(exc)
    assert exc.retryable and len(sleeps) == 2


def test_client_errors_are_not_retried_and_never_show_secrets(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    api, sleeps = sender(error(401, f"bad key {SECRET}"))
    with pytest.raises(PmsApiError) as caught:
        api.get_json("/v1/things")
    assert caught.value.status == 401 and not caught.value.retryable and sleeps == []
    assert SECRET not in str(caught.value) and "***" in str(caught.value)
    assert SECRET not in repr(api) and SECRET not in caplog.text


def test_connection_errors_do_not_leak_their_text() -> None:
    api, _ = sender(*[requests.ConnectionError(f"https://x/?k={SECRET}")] * 2, max_attempts=2)
    with pytest.raises(PmsApiError) as caught:
        api.get_json("/v1/things")
    assert caught.value.status is None and SECRET not in str(caught.value)


def test_full_jitter_stays_within_the_exponential_cap() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=4.0)
    assert policy.backoff(0, lambda: 0.0) == 0.0
    assert policy.backoff(2, lambda: 1.0) == 2.0
    assert policy.backoff(10, lambda: 0.5) == 2.0  # 0.5 * cap


def test_retry_after_parses_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_rate_window_allows_the_limit_per_period_counted_from_the_answers() -> None:
    clock = {"t": 100.0}
    waits: list[float | None] = []

    def wait(_condition: object, seconds: float | None) -> None:
        assert seconds is not None, "would wait forever: every slot in flight"
        waits.append(seconds)
        clock["t"] += seconds

    window = RateWindow(3, 1.0, clock=lambda: clock["t"], wait=wait)
    answered = [window.acquire() for _ in range(3)]  # a burst of the limit: no wait
    assert waits == []
    clock["t"] += 0.25
    for done in answered:
        done()  # answered at 100.25: the slots free at 101.25, not 101.0
    window.acquire()()
    assert waits == pytest.approx([1.0])
    clock["t"] += 5  # idle: a full burst again, never more
    for _ in range(3):
        window.acquire()()
    window.acquire()
    assert waits[1:] == pytest.approx([1.0])


def test_rate_window_waits_for_a_request_in_flight_to_be_answered() -> None:
    window = RateWindow(1, 0.05)
    first = window.acquire()
    got: list[float] = []
    waiter = threading.Thread(target=lambda: got.append(window.acquire() and time.monotonic()))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and not got  # in flight: no slot, however long it takes
    first()
    answered_at = time.monotonic()
    waiter.join(5)
    assert got and got[0] >= answered_at + 0.05 - 1e-3
