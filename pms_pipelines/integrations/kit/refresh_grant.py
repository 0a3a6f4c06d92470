"""The OAuth2 refresh-token grant of one agency where the vendor rotates the refresh
token on every use and refuses a used one (PropertyMe): each new one is followed in this
process and handed to `save` (the agency's credentials reference), and a refused one
becomes `ReauthorisationRequired`, naming what the agency must do.

Plugs into `auth.OAuthToken(form=grant.form, on_token=grant.on_token,
refused=grant.refused, cache_key=grant.key)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from pms_pipelines.integrations.kit.auth import grant_key
from pms_pipelines.integrations.kit.errors import PmsApiError, ReauthorisationRequired

# Refresh tokens this process has rotated: used one → its successor. A caller may hold a
# stale copy (its save lagged, or a 401 mid-pull needs a new token): follow the chain.
_ROTATED: dict[tuple[str, str, str], str] = {}
_ROTATED_LOCK = threading.Lock()


class RotatingRefreshGrant:
    """The refresh-token grant of one agency (credentials `client_id`, `client_secret`,
    `refresh_token`), keeping up with the vendor's rotation."""

    def __init__(self, credentials: Mapping[str, str], url: str,
                 save: Callable[[Mapping[str, str]], None] | None, *, pms: str,
                 remedy: str, agency_id: str = "(unnamed)") -> None:
        self.client_id = credentials["client_id"]
        self.client_secret = credentials["client_secret"]
        self.url, self.save, self.agency_id = url, save, agency_id
        self.pms, self.remedy = pms, remedy
        self.current = self.sent = self._latest(credentials["refresh_token"])

    def _latest(self, token: str) -> str:
        with _ROTATED_LOCK:
            while (self.url, self.client_id, token) in _ROTATED:
                token = _ROTATED[(self.url, self.client_id, token)]
        return token

    def key(self, _credentials: Mapping[str, str]) -> str:
        """Names this agency's grant as it stands (its newest refresh token), so a later
        client of the same agency in this process reuses the access token it holds."""
        return grant_key(self.url, self.client_id, self.client_secret, self._latest(self.current))

    def form(self, _credentials: Mapping[str, str]) -> dict[str, str]:
        self.sent = self._latest(self.current)
        return {"grant_type": "refresh_token", "refresh_token": self.sent,
                "client_id": self.client_id, "client_secret": self.client_secret}

    def on_token(self, body: Mapping[str, Any]) -> None:
        new = body.get("refresh_token")
        if not new or new == self.sent:
            return
        with _ROTATED_LOCK:
            _ROTATED[(self.url, self.client_id, self.sent)] = new
        self.current = new
        if self.save is not None:
            self.save({"refresh_token": new})

    def refused(self, error: PmsApiError) -> Exception | None:
        """`invalid_grant`: the refresh token is spent; only a new authorisation helps."""
        if error.status == 400 and error.vendor_code == "invalid_grant":
            return ReauthorisationRequired(pms=self.pms, agency_id=self.agency_id,
                                           refused=error, remedy=self.remedy)
        return None


def forget_rotations() -> None:
    """A new process that never saw a rotation (tests)."""
    with _ROTATED_LOCK:
        _ROTATED.clear()
