"""Errors raised by integrations, worded so they are safe to log and show in the UI."""

from __future__ import annotations


class PmsApiError(Exception):
    """A PMS API call that failed for good (after the retry policy gave up, or not retryable).

    The text names the method, the path, the HTTP status and the vendor's own message;
    it never contains credentials (the sender redacts them before building this).
    """

    def __init__(
        self, *, method: str, path: str, status: int | None, message: str, attempts: int
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.vendor_message = message
        self.attempts = attempts
        status_text = f"HTTP {status}" if status is not None else "no HTTP response"
        super().__init__(
            f"{method} {path} failed with {status_text} after {attempts} attempt(s): {message}"
        )

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500
