"""The one HTTP retry policy every integration uses to talk to a PMS.

`ApiSender.get_json` sends a GET through a `requests.Session` with timeouts, waits on a
client-side rate window so we stay within the provider's documented rate limit, and
retries what is worth retrying: 429 (honouring `Retry-After`, else exponential backoff
with full jitter), 5xx, connection errors and timeouts, and truncated or unparseable
JSON bodies. Attempts are bounded; then it raises `PmsApiError`. Credentials are sent
only as headers, and any credential value is redacted from error text and logs. An error
body is read only through the integration's declared error schemas (`vendor_errors`).
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
from pms_pipelines.integrations.kit.error_counts import CONNECTION, UNREADABLE, count_error
from pms_pipelines.integrations.kit.errors import PmsApiError
from pms_pipelines.integrations.kit.vendor_errors import (
    OAUTH_ERROR, ErrorFields, VendorError, read_error,
)

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


class RateWindow:
    """At most `limit` requests in any `period` seconds, as a provider that counts the
    requests of the last second sees them (Buildium: "10 concurrent requests per second";
    every sandbox of the kit answers 429 on the 11th request inside one second).

    A request holds its slot from when it is sent until `period` after its response
    arrived: the provider stamps a request somewhere between those two moments, so the
    `limit`-th request before this one was stamped more than `period` before it, whatever
    the network's latency and however many requests are in flight. A burst of `limit`
    after an idle moment is allowed, as the provider allows it. Thread-safe; the clock and
    the wait (on the condition, for at most some seconds) are injectable for tests.
    """

    def __init__(
        self, limit: int, period: float = 1.0, *, clock: Clock = time.monotonic,
        wait: Callable[[threading.Condition, float | None], Any] | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError("a rate window needs a limit of at least 1")
        self.limit, self.period, self.clock = limit, period, clock
        self._ends: list[list[float]] = []  # one [end] per recent request; inf in flight
        self._changed = threading.Condition()
        self._wait = wait or (lambda condition, seconds: condition.wait(seconds))

    def acquire(self) -> Callable[[], None]:
        """Wait for a slot; return the call that marks the request answered."""
        with self._changed:
            while True:
                now = self.clock()
                self._ends = [e for e in self._ends if e[0] > now - self.period]
                if len(self._ends) < self.limit:
                    slot = [float("inf")]
                    self._ends.append(slot)
                    return lambda: self._release(slot)
                soonest = min(e[0] for e in self._ends)
                # All in flight: wait for an answer (a release notifies).
                self._wait(self._changed, None if soonest == float("inf")
                           else soonest + self.period - now)

    def _release(self, slot: list[float]) -> None:
        with self._changed:
            slot[0] = self.clock()
            self._changed.notify_all()


_LIMITERS: dict[tuple[str, str], RateWindow] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_bucket(base_url: str, client_id: str | None,
                  rate_per_s: float | None) -> RateWindow | None:
    """The one limiter per (base URL, client id) in this process, allowing the vendor's
    whole documented `rate_per_s` in any second (the window counts each request until a
    second after its answer, so the vendor never sees more); None for no limit. The
    vendor limits per client, so parallel pulls for one agency share it."""
    if not rate_per_s:
        return None
    key = (base_url, client_id or "")
    limit = max(1, int(rate_per_s + 1e-9))
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None or limiter.limit != limit:
            limiter = _LIMITERS[key] = RateWindow(limit)
        return limiter


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


class _Retry(Exception):
    def __init__(self, status: int | None, said: VendorError | str,
                 delay: float | None = None) -> None:
        super().__init__(str(said))
        self.status, self.said, self.delay = status, said, delay


class ApiSender:
    """Sends GETs to one provider base URL with one set of auth headers."""

    def __init__(
        self, base_url: str, headers: Mapping[str, str], *, secrets: Iterable[str] = (),
        policy: RetryPolicy = RetryPolicy(), limiter: RateWindow | None = None,
        session: requests.Session | None = None, sleep: Sleep = time.sleep,
        rng: Callable[[], float] = random.random,
        error_schemas: tuple[ErrorFields, ...] = (OAUTH_ERROR,),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", **headers})
        self._secrets = tuple(s for s in secrets if s)
        self.policy, self.limiter, self.sleep, self.rng = policy, limiter, sleep, rng
        # The provider's error schemas, its token endpoint's (OAuth) among them if it has one.
        self.error_schemas = error_schemas

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
                if last:
                    raise self._error(method, path, retry.status, retry.said,
                                      attempt + 1) from None
                message = self.redact(str(retry.said))
                delay = retry.delay
                if delay is None:
                    delay = self.policy.backoff(attempt, self.rng)
                delay = min(delay, self.policy.max_delay_s)
                log.warning("%s %s: %s (status %s); retry %d in %.2fs", method, path, message,
                            retry.status, attempt + 1, delay)
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _error(self, method: str, path: str, status: int | None, said: VendorError | str,
               attempts: int) -> PmsApiError:
        if isinstance(said, str):
            return PmsApiError(method=method, path=path, status=status,
                               message=self.redact(said), attempts=attempts)
        return PmsApiError(method=method, path=path, status=status,
                           message=self.redact(said.message), attempts=attempts,
                           code=self.redact(said.code) if said.code else None,
                           body_bytes=said.body_bytes)

    def _attempt(
        self, method: str, path: str, params: Any, form: Any, headers: Any
    ) -> tuple[Any, Mapping[str, str]]:
        answered = self.limiter.acquire() if self.limiter is not None else None
        try:
            return self._exchange(method, path, params, form, headers)
        finally:
            if answered is not None:
                answered()

    def _exchange(
        self, method: str, path: str, params: Any, form: Any, headers: Any
    ) -> tuple[Any, Mapping[str, str]]:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        try:
            response = self.session.request(
                method, url, params=params, data=form, headers=headers,
                timeout=(self.policy.connect_timeout_s, self.policy.read_timeout_s),
            )
            body = response.content
        except (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError) as exc:
            count_error(CONNECTION)
            # Only the exception's class: its text carries the URL and urllib3 internals.
            raise _Retry(None, f"{type(exc).__name__} talking to the provider") from None
        status = response.status_code
        if status >= 400:
            count_error(status)
            said = read_error(body, self.error_schemas)
            if status == 429:
                raise _Retry(status, said,
                             retry_after_seconds(response.headers.get("Retry-After")))
            if status >= 500:
                raise _Retry(status, said)
            raise self._error(method, path, status, said, 1)
        try:
            return json.loads(body), response.headers
        except ValueError:
            count_error(UNREADABLE)
            raise _Retry(status, f"truncated or unparseable JSON body ({len(body)} bytes)") from None
