"""The one HTTP retry policy every integration uses to talk to a PMS.

`ApiSender.get_json` sends a GET through a `requests.Session` with timeouts, waits on a
client-side token bucket so we stay within the provider's documented rate limit, and
retries what is worth retrying: 429 (honouring `Retry-After`, else exponential backoff
with full jitter), 5xx, connection errors and timeouts, and truncated or unparseable
JSON bodies. Attempts are bounded; then it raises `PmsApiError`. Credentials are sent
only as headers, and any credential value is redacted from error text and logs.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from pms_pipelines.backoff import full_jitter
from pms_pipelines.integrations.kit.errors import PmsApiError

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay_s: float = 0.2  # Buildium suggests retrying a 429 after ~200 ms
    max_delay_s: float = 30.0
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)] (attempt counts from 0)."""
        return full_jitter(attempt, self.base_delay_s, self.max_delay_s, rng)


class TokenBucket:
    """Requests per second with a small burst; thread-safe, clock injectable for tests."""

    def __init__(
        self, rate_per_s: float, burst: float = 1.0, *, clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.rate = rate_per_s
        self.capacity = burst
        self.tokens = burst
        self.clock = clock
        self.sleep = sleep
        self.updated = clock()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = self.clock()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                # The epsilon: float refills land a hair under 1 and would spin on tiny waits.
                if self.tokens >= 1 - 1e-9:
                    self.tokens = max(0.0, self.tokens - 1)
                    return
                wait = (1 - self.tokens) / self.rate
            self.sleep(wait)


_BUCKETS: dict[tuple[str, str], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def shared_bucket(key: tuple[str, str], rate_per_s: float) -> TokenBucket:
    """One bucket per (base URL, client id) in this process: the vendor limits per client,
    so parallel pulls for one agency must share its budget."""
    with _BUCKETS_LOCK:
        bucket = _BUCKETS.get(key)
        if bucket is None or bucket.rate != rate_per_s:
            bucket = _BUCKETS[key] = TokenBucket(rate_per_s)
        return bucket


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse `Retry-After` (delta seconds or an HTTP date); None when absent or garbage."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def default_error_message(body: bytes) -> str:
    """The vendor's human message from an error body, whatever its common shape."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:300].decode("utf-8", "replace").strip() or "(empty body)"
    if isinstance(parsed, dict):
        for key in ("UserMessage", "message", "Message", "error_description", "detail",
                    "title", "error"):
            if isinstance(parsed.get(key), str) and parsed[key]:
                return parsed[key]
    return json.dumps(parsed)[:300]


class _Retry(Exception):
    def __init__(self, status: int | None, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.delay = status, message, delay


class ApiSender:
    """Sends GETs to one provider base URL with one set of auth headers."""

    def __init__(
        self, base_url: str, headers: Mapping[str, str], *, secrets: Iterable[str] = (),
        policy: RetryPolicy = RetryPolicy(), limiter: TokenBucket | None = None,
        session: requests.Session | None = None, sleep: Sleep = time.sleep,
        rng: Callable[[], float] = random.random,
        error_message: Callable[[bytes], str] = default_error_message,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", **headers})
        self._secrets = tuple(s for s in secrets if s)
        self.policy, self.limiter, self.sleep, self.rng = policy, limiter, sleep, rng
        self.error_message = error_message

    def __repr__(self) -> str:  # never show the session headers
        return f"ApiSender({self.base_url!r})"

    def add_secret(self, secret: str) -> None:
        """Redact a value learnt at run time too (an access token, a rotated refresh token)."""
        if secret:
            self._secrets = (*self._secrets, secret)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def get_json(
        self, path: str, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, Mapping[str, str]]:
        """GET `path`; return the parsed JSON body and the response headers."""
        return self.send_json("GET", path, params=params, headers=headers)

    def send_json(
        self, method: str, path: str, *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        form: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, Mapping[str, str]]:
        """Send a request (a path under the base URL, or an absolute URL such as an OAuth
        token endpoint) under the retry policy; return the JSON body and the headers."""
        for attempt in range(self.policy.max_attempts):
            try:
                return self._attempt(method, path, params, form, headers)
            except _Retry as retry:
                last = attempt + 1 >= self.policy.max_attempts
                message = self.redact(retry.message)
                if last:
                    raise PmsApiError(method=method, path=path, status=retry.status,
                                      message=message, attempts=attempt + 1) from None
                delay = retry.delay
                if delay is None:
                    delay = self.policy.backoff(attempt, self.rng)
                delay = min(delay, self.policy.max_delay_s)
                log.warning("%s %s: %s (status %s); retry %d in %.2fs", method, path, message,
                            retry.status, attempt + 1, delay)
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _attempt(
        self, method: str, path: str, params: Any, form: Any, headers: Any
    ) -> tuple[Any, Mapping[str, str]]:
        if self.limiter is not None:
            self.limiter.acquire()
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        try:
            response = self.session.request(
                method, url, params=params, data=form, headers=headers,
                timeout=(self.policy.connect_timeout_s, self.policy.read_timeout_s),
            )
            body = response.content
        except (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError) as exc:
            # Only the exception's class: its text carries the URL and urllib3 internals.
            raise _Retry(None, f"{type(exc).__name__} talking to the provider") from None
        status = response.status_code
        if status == 429:
            raise _Retry(status, self.error_message(body) or "rate limited",
                         retry_after_seconds(response.headers.get("Retry-After")))
        if status >= 500:
            raise _Retry(status, self.error_message(body))
        if status >= 400:
            raise PmsApiError(method=method, path=path, status=status,
                              message=self.redact(self.error_message(body)), attempts=1)
        try:
            return json.loads(body), response.headers
        except ValueError:
            raise _Retry(status, f"truncated or unparseable JSON body ({len(body)} bytes)") from None
