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


class ReauthorisationRequired(PmsApiError):
    """The provider refused an agency's stored grant (a used or revoked OAuth refresh
    token): no retry or later run can help until the agency is connected again.

    The text names the PMS and the agency and says what the operator must do; like any
    `PmsApiError` it carries the vendor's (redacted) message and never a secret.
    """

    def __init__(self, *, pms: str, agency_id: str, refused: PmsApiError, remedy: str) -> None:
        super().__init__(method=refused.method, path=refused.path, status=refused.status,
                         message=refused.vendor_message, attempts=refused.attempts)
        self.pms, self.agency_id = pms, agency_id
        self.args = (
            f"{pms} agency {agency_id!r} must be re-authorised: the token endpoint refused "
            f"its stored refresh token (HTTP {refused.status}: {refused.vendor_message}). "
            f"{remedy} Its pulls fail until then; its watermarks stay where they are.",
        )
