"""Errors raised by integrations, worded so they are safe to log and show in the UI."""

from __future__ import annotations


class PmsApiError(Exception):
    """A PMS API call that failed for good (after the retry policy gave up, or not retryable).

    The text names the method, the path, the HTTP status, the vendor's own error code and
    message (only the fields its error schema declares, see `vendor_errors`) and the
    body's size; never the rest of a body, never credentials (the sender redacts them
    before building this).
    """

    def __init__(
        self, *, method: str, path: str, status: int | None, message: str, attempts: int,
        code: str | None = None, body_bytes: int | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.vendor_message = message
        self.vendor_code = code
        self.body_bytes = body_bytes
        self.attempts = attempts
        status_text = f"HTTP {status}" if status is not None else "no HTTP response"
        said = message if code in (None, message) else f"{code}: {message}"
        size = f" ({body_bytes}-byte body)" if body_bytes is not None else ""
        super().__init__(
            f"{method} {path} failed with {status_text} after {attempts} attempt(s): "
            f"{said}{size}"
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
                         message=refused.vendor_message, attempts=refused.attempts,
                         code=refused.vendor_code, body_bytes=refused.body_bytes)
        self.pms, self.agency_id = pms, agency_id
        self.args = (
            f"{pms} agency {agency_id!r} must be re-authorised: the token endpoint refused "
            f"its stored refresh token (HTTP {refused.status}: "
            f"{refused.vendor_code or 'no code'}: {refused.vendor_message}). "
            f"{remedy} Its pulls fail until then; its watermarks stay where they are.",
        )
