"""The one HTTP retry policy, with a scripted session and a fake clock (no real sleeping)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest
import requests

from pms_pipelines.integrations.kit import ApiSender, PmsApiError, RetryPolicy, TokenBucket
from pms_pipelines.integrations.kit.http import retry_after_seconds

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


def test_token_bucket_spaces_requests_at_the_rate() -> None:
    clock = {"t": 100.0}
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock["t"] += seconds

    bucket = TokenBucket(10.0, burst=1, clock=lambda: clock["t"], sleep=sleep)
    for _ in range(4):
        bucket.acquire()
    assert sleeps == pytest.approx([0.1, 0.1, 0.1])
    clock["t"] += 5  # idle time refills only up to the burst
    bucket.acquire()
    bucket.acquire()
    assert sleeps[-1] == pytest.approx(0.1) and len(sleeps) == 4
