"""How a vendor authenticates, as the kit's sandbox serves it: API keys in headers, or a
bearer token from the vendor's token endpoint (client credentials, or a refresh token
that rotates on every use).

Each is a `sandbox_api.SandboxAuth`: it answers `agency_of(headers, stores, tokens)`: the agency a request reads and the key
its rate limit counts under (raising `Refused` with the vendor's status: 401 for a bad
key or token, 403 for an agency that did not grant access, 400 for a missing required
header). A token endpoint answers `grant(form, basic, stores, tokens)` with a status,
an OAuth body and its headers. Tokens live in the running sandbox's `TokenBook`.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pms_pipelines.integrations.kit.sandbox_api import Refused

Grant = tuple[int, dict[str, Any], dict[str, str]]


class TokenBook:
    """The access tokens one running sandbox issued: token → (owner, expiry)."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.requests = 0  # grants asked for, answered or not

    def issue(self, owner: str, ttl_s: float) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (owner, time.monotonic() + ttl_s)
        return token

    def owner(self, authorization: str) -> str | None:
        """Whose token a `Bearer` header carries, while it is valid."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self._lock:
            owner, expires = self._tokens.get(token, (None, 0.0))
        return owner if expires > time.monotonic() else None

    def asked(self) -> None:
        with self._lock:
            self.requests += 1

    def expire(self) -> int:
        """Every issued token stops working now (as if its `expires_in` ran out)."""
        with self._lock:
            count, self._tokens = len(self._tokens), {}
        return count


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(user, password) of an HTTP Basic header, or None."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except ValueError:
        return None
    return user, password


def _same(given: str | None, expected: str | None) -> bool:
    return given is not None and expected is not None and secrets.compare_digest(
        given.encode(), expected.encode())


def _token_body(token: str, ttl_s: float, **extra: Any) -> dict[str, Any]:
    return {"access_token": token, "token_type": "Bearer", "expires_in": int(ttl_s), **extra}


@dataclass(frozen=True)
class HeaderKeys:
    """The vendor's API keys in request headers (header → credential field); the first
    header names the agency, the others must match its credentials. Counted per key."""

    headers: Mapping[str, str]
    token_path: str | None = None

    def agency_of(self, headers: Mapping[str, str], stores: Sequence[Any],
                  tokens: TokenBook) -> tuple[Any, str]:
        (first, field_name), *others = self.headers.items()
        store = next((s for s in stores
                      if _same(headers.get(first), s.credentials.get(field_name))), None)
        if store is None or not all(_same(headers.get(h), store.credentials.get(f))
                                    for h, f in others):
            raise Refused(401, "")
        return store, headers[first]

    def grant(self, form: Mapping[str, str], basic: tuple[str, str] | None,
              stores: Sequence[Any], tokens: TokenBook) -> Grant:
        raise Refused(404, "")


@dataclass(frozen=True)
class ClientCredentials:
    """OAuth2 client credentials: HTTP Basic `client_id:client_secret` and form
    `grant_type=client_credentials` at `token_path`; the token is the application's and
    reads any agency that installed it, named by `agency_header` (403 otherwise).
    `required_headers` must be present on every API call (400). Counted per application."""

    token_path: str
    agency_header: str
    agency_field: str
    required_headers: tuple[str, ...] = ()
    ttl_s: float = 3600.0

    def agency_of(self, headers: Mapping[str, str], stores: Sequence[Any],
                  tokens: TokenBook) -> tuple[Any, str]:
        client_id = tokens.owner(headers.get("authorization", ""))
        if client_id is None:
            raise Refused(401, "The access token is missing, invalid or expired.")
        store = next((s for s in stores if s.credentials[self.agency_field]
                      == headers.get(self.agency_header)), None)
        if store is None or store.credentials["client_id"] != client_id:
            raise Refused(403, "The application is not installed for this customer.")
        for name in self.required_headers:
            if not headers.get(name):
                raise Refused(400, f"The {name} header is required.")
        return store, client_id

    def grant(self, form: Mapping[str, str], basic: tuple[str, str] | None,
              stores: Sequence[Any], tokens: TokenBook) -> Grant:
        tokens.asked()
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}, {}
        user, secret = basic or ("", "")
        known = next((s for s in stores if s.credentials["client_id"] == user), None)
        if (known is None or not _same(secret, known.credentials["client_secret"])
                or form.get("client_id", user) != user):
            return 400, {"error": "invalid_client"}, {}
        return 200, _token_body(tokens.issue(user, self.ttl_s), self.ttl_s), {}


@dataclass(frozen=True)
class RotatingRefreshToken:
    """OAuth2 refresh-token grant (form `client_id`, `client_secret`, `refresh_token`) where
    every use rotates the refresh token and a used one is refused at once (no grace period:
    none is documented). One agency per client; the agency's current refresh token is its
    credential `refresh_token`. Counted per client."""

    token_path: str
    scope: str = ""
    ttl_s: float = 3600.0
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def agency_of(self, headers: Mapping[str, str], stores: Sequence[Any],
                  tokens: TokenBook) -> tuple[Any, str]:
        agency_id = tokens.owner(headers.get("authorization", ""))
        store = next((s for s in stores if s.agency_id == agency_id), None)
        if store is None:
            raise Refused(401, "Not Authenticated")
        return store, store.credentials["client_id"]

    def grant(self, form: Mapping[str, str], basic: tuple[str, str] | None,
              stores: Sequence[Any], tokens: TokenBook) -> Grant:
        tokens.asked()
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}, {}
        store = next((s for s in stores
                      if s.credentials["client_id"] == form.get("client_id")), None)
        if store is None or not _same(form.get("client_secret"),
                                      store.credentials["client_secret"]):
            return 400, {"error": "invalid_client"}, {}
        with self._lock:
            if not _same(form.get("refresh_token"), store.credentials["refresh_token"]):
                return 400, {"error": "invalid_grant", "error_description":
                             "The refresh token is invalid or already used"}, {}
            rotated = self.authorise(store)
        body = _token_body(tokens.issue(store.agency_id, self.ttl_s), self.ttl_s,
                           refresh_token=rotated, scope=self.scope)
        return 200, body, {"Cache-Control": "no-store"}

    @staticmethod
    def authorise(store: Any) -> str:
        """The agency connects again (the authorisation-code step, out of band at the
        vendor): a new refresh token, the only valid one from now on."""
        store.credentials["refresh_token"] = secrets.token_urlsafe(32)
        return store.credentials["refresh_token"]
