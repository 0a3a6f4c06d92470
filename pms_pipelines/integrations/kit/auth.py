"""Authentication schemes PMS APIs use, declared by an integration and run by the kit.

An `Auth` gives the headers for each request from the agency's credentials. Token
schemes fetch a token once, reuse it until it expires, and fetch a new one when the API
answers 401 (a token can expire mid-pull). Every secret they see or receive is
registered with the sender, so it is redacted from errors and logs.

A token scheme given a `cache_key` also shares its token with the later clients of the
same grant in this process: a pull run reads every entity of its agency, one client
each, and asks for one token, not one per entity. Nothing is stored beyond the process.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pms_pipelines.integrations.kit.errors import PmsApiError
from pms_pipelines.integrations.kit.http import ApiSender


class Auth(Protocol):
    def headers(self, sender: ApiSender, credentials: Mapping[str, str]) -> dict[str, str]: ...

    def invalidate(self) -> bool:
        """Forget a cached token; True when a retry can help (a fresh token)."""
        ...


@dataclass
class HeaderKeys:
    """Static API keys sent as headers: header name → credential field."""

    header_fields: Mapping[str, str]
    static: Mapping[str, str] = field(default_factory=dict)

    def headers(self, sender: ApiSender, credentials: Mapping[str, str]) -> dict[str, str]:
        for name in self.header_fields.values():
            sender.add_secret(credentials[name])
        return {**self.static, **{h: credentials[f] for h, f in self.header_fields.items()}}

    def invalidate(self) -> bool:
        return False


@dataclass
class OAuthToken:
    """A bearer token from an OAuth2 token endpoint (client credentials or refresh token).

    `form(credentials)` builds the token request; `token_url(base_url)` says where it goes;
    `on_token(body)` sees each token response (to store a rotated refresh token).
    `header_fields` adds per-request headers from credentials (e.g. a customer id).
    `refused(error)` may turn the token endpoint's refusal (a 4xx `PmsApiError`) into the
    integration's own, more actionable error (e.g. `ReauthorisationRequired`), or None.
    `cache_key(credentials)` names the grant (see `grant_key`) whose token later clients
    in this process may reuse until it expires; None keeps the token to this client.
    """

    token_url: Callable[[str], str]
    form: Callable[[Mapping[str, str]], dict[str, str]]
    basic_auth_fields: tuple[str, str] | None = None
    header_fields: Mapping[str, str] = field(default_factory=dict)
    static: Mapping[str, str] = field(default_factory=dict)
    on_token: Callable[[Mapping[str, Any]], None] | None = None
    refused: Callable[[PmsApiError], Exception | None] | None = None
    cache_key: Callable[[Mapping[str, str]], str] | None = None
    clock: Callable[[], float] = time.monotonic
    _token: str | None = None
    _expires_at: float = 0.0
    _key: str | None = None

    def headers(self, sender: ApiSender, credentials: Mapping[str, str]) -> dict[str, str]:
        if self._token is None or self.clock() >= self._expires_at:
            if not self._reuse(sender, credentials):
                self._fetch(sender, credentials)
        extra = {h: credentials[f] for h, f in self.header_fields.items()}
        return {**self.static, **extra, "Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> bool:
        """The API refused the token (401): no client of this process may use it again."""
        with _TOKENS_LOCK:
            if self._key is not None and _TOKENS.get(self._key, (None,))[0] == self._token:
                del _TOKENS[self._key]
        self._token = None
        return True

    def _reuse(self, sender: ApiSender, credentials: Mapping[str, str]) -> bool:
        if self.cache_key is None:
            return False
        key = self.cache_key(credentials)
        with _TOKENS_LOCK:
            token, expires_at = _TOKENS.get(key, (None, 0.0))
        if token is None or self.clock() >= expires_at:
            return False
        sender.add_secret(token)
        self._token, self._expires_at, self._key = token, expires_at, key
        return True

    def _fetch(self, sender: ApiSender, credentials: Mapping[str, str]) -> None:
        form = self.form(credentials)
        for value in form.values():
            sender.add_secret(value)
        headers = None
        if self.basic_auth_fields:
            import base64

            user, password = (credentials[f] for f in self.basic_auth_fields)
            sender.add_secret(password)
            pair = base64.b64encode(f"{user}:{password}".encode()).decode()
            headers = {"Authorization": f"Basic {pair}"}
        try:
            body, _ = sender.send_json(
                "POST", self.token_url(sender.base_url), form=form, headers=headers
            )
        except PmsApiError as error:
            better = self.refused(error) if self.refused and not error.retryable else None
            if better is None:
                raise
            raise better from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise ValueError("the token endpoint returned no access_token")
        sender.add_secret(token)
        if body.get("refresh_token"):
            sender.add_secret(body["refresh_token"])
        # Renew a little early: a token that expires in flight costs a 401 round trip.
        self._expires_at = self.clock() + max(0.0, float(body.get("expires_in", 3600)) - 30)
        self._token = token
        if self.on_token is not None:
            self.on_token(body)
        if self.cache_key is not None:  # named after on_token: a rotated grant's new name
            self._key = self.cache_key(credentials)
            with _TOKENS_LOCK:
                _TOKENS[self._key] = (token, self._expires_at)


# Tokens shared within this process: grant key → (token, when it is to be renewed).
_TOKENS: dict[str, tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()


def grant_key(*parts: str) -> str:
    """A cache key for the grant these values identify (token URL, client, secret or
    refresh token): a digest, so the cache holds no secret but the tokens themselves."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def forget_tokens() -> None:
    """Drop every shared token, as a new process starts without any (tests, the bench)."""
    with _TOKENS_LOCK:
        _TOKENS.clear()
