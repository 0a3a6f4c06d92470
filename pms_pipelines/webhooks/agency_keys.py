"""What the receiver needs of the agency a notice names: which one it is (by the account
its vendor names it by), its webhook secret, the vendor's public keys. Looked up once
and kept a short while (`ttl_s`): a burst of notices costs one look-up, and a rotated
secret is picked up within the minute."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pms_pipelines.db import agencies
from pms_pipelines.db.agencies import Agency
from pms_pipelines.integrations.kit.errors import PmsApiError
from pms_pipelines.integrations.kit.integration import Integration
from pms_pipelines.integrations.kit.webhook_signatures import SignatureRefused
from pms_pipelines.pulls.credentials import resolve_credentials
from pms_pipelines.settings import pms_base_url

SECRET_FIELDS = ("webhook_secret",)
UNKNOWN_KEY_TTL_S = 600.0
MAX_UNKNOWN_KEYS = 10_000


class KeysUnavailable(RuntimeError):
    """The vendor's keys could not be read now (answered 503: the vendor retries)."""


@dataclass
class AgencyKeys:
    """The `Keys` one delivery is checked with (kit/webhook_signatures.py)."""

    integration: Integration
    agency: Agency
    credentials: Mapping[str, str] = field(repr=False)
    public_keys: dict[str, bytes] = field(repr=False)
    # Key ids the vendor said it does not have, and when: not asked again for a while.
    unknown_keys: dict[str, float] = field(repr=False, default_factory=dict)

    def secret(self, name: str) -> str:
        value = self.credentials.get(name)
        if not value:
            raise SignatureRefused(f"agency {self.agency.pms}/{self.agency.agency_id} has no "
                                   f"{name} in its credentials")
        return value

    def public_key(self, key_id: str) -> bytes:
        key = self.public_keys.get(key_id)
        refused_at = self.unknown_keys.get(key_id)
        if key is None and refused_at is not None and (
                time.monotonic() - refused_at < UNKNOWN_KEY_TTL_S):
            raise SignatureRefused(f"the vendor has no signing key {key_id[:40]!r} (asked "
                                   "lately)")
        if key is None:
            webhooks = self.integration.webhooks
            if webhooks is None or webhooks.public_key is None:
                raise ValueError(f"{self.integration.name} declares no public keys")
            base_url = pms_base_url(self.integration.name, self.integration.default_base_url)
            try:
                key = webhooks.public_key(base_url, self.credentials, key_id)
            except PmsApiError as error:
                if error.status == 404:
                    if len(self.unknown_keys) >= MAX_UNKNOWN_KEYS:
                        self.unknown_keys.clear()
                    self.unknown_keys[key_id] = time.monotonic()
                    raise SignatureRefused(f"the vendor has no signing key {key_id[:40]!r}"
                                           ) from error
                raise KeysUnavailable(f"the vendor's signing keys: {error}") from error
            self.public_keys[key_id] = key  # keys are immutable: kept for the process
        return key


class KeyBook:
    def __init__(self, connection: Callable[[], Any], ttl_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._connection = connection
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._agencies: dict[tuple[str, str], tuple[float, AgencyKeys | None]] = {}
        self._public_keys: dict[str, dict[str, bytes]] = {}
        self._unknown_keys: dict[str, dict[str, float]] = {}

    def for_account(self, integration: Integration, account: str) -> AgencyKeys | None:
        """The enabled agency the vendor names `account`, with its credentials; None when
        no enabled agency is registered with that webhook account."""
        key = (integration.name, account)
        with self._lock:
            kept = self._agencies.get(key)
        if kept is not None and self._clock() - kept[0] < self._ttl_s:
            return kept[1]
        conn = self._connection()
        agency = agencies.agency_by_webhook_account(conn, integration.name, account)
        conn.commit()
        found = None
        if agency is not None and agency.enabled:
            credentials = resolve_credentials(agency.credentials_ref,
                                              integration.credential_fields, SECRET_FIELDS)
            found = AgencyKeys(integration, agency, credentials,
                               self._public_keys.setdefault(integration.name, {}),
                               self._unknown_keys.setdefault(integration.name, {}))
        with self._lock:
            self._agencies[key] = (self._clock(), found)
        return found
