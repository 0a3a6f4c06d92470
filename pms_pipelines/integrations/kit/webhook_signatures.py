"""How a vendor signs its webhooks, and how we check a delivery exactly as it documents.

Each scheme checks the raw body it was given (never a re-serialised copy, except where
the vendor documents signing a normal form), compares in constant time, and refuses a
delivery whose timestamp is outside `window_s` of our clock (a stale or forged time).
A scheme returns the vendor's signature of the delivery: the same signature seen twice
is the same delivery sent again (a replay), which the receiver tells from a vendor's
retry (a new signature of the same notice). A delivery that carries no time cannot be
told from a retry: its scheme returns "".

- `HmacTimestamp` (Buildium): base64 HMAC-SHA256, keyed by the subscription's secret,
  of `"{timestamp}.{body}"` where the body has no newlines and no space after a colon;
- `Ed25519KeyId` (Reapit): `X-Signature: s:{keyId}:{timestamp}:{signature}`, an
  Ed25519 signature (base64url) of `timestamp + body`, by the application's key, whose
  public half the vendor serves by key id;
- `SharedSecret` (Alto): a secret agreed at onboarding, presented in a header on every
  delivery (no timestamp: replays are told apart by the notice's own id only).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class SignatureRefused(ValueError):
    """The delivery is not the vendor's (or not now): answered 401, nothing stored. The
    message is for our log; `public`, for the answer, says no more than the sender knows
    (not which agency, not our clock)."""

    def __init__(self, message: str, public: str = "signature refused") -> None:
        super().__init__(message)
        self.public = public


class Keys(Protocol):
    """What a scheme may need of the agency the delivery names."""

    def secret(self, field: str) -> str:
        """The value of one of the agency's credential fields (a webhook secret)."""

    def public_key(self, key_id: str) -> bytes:
        """The vendor's public key with this id (raw bytes)."""


class Scheme(Protocol):
    def check(self, headers: Mapping[str, str], body: bytes, keys: Keys, now: float,
              window_s: float) -> str:
        """The delivery's signature when it is the vendor's ("" for a scheme whose
        deliveries all look alike); raises SignatureRefused."""


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower())
    if not value:
        raise SignatureRefused(f"no {name} header", f"no {name} header")
    return value


def _fresh(timestamp: str, now: float, window_s: float) -> None:
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureRefused(f"timestamp {timestamp[:20]!r} is not a UNIX time",
                               "the timestamp is not a UNIX time") from None
    if abs(now - sent) > window_s:
        raise SignatureRefused(f"timestamp is {int(now - sent)} s from our clock "
                               f"(more than {int(window_s)} s: stale or replayed)",
                               "the timestamp is outside the accepted window")


def compact_json(body: bytes) -> bytes | None:
    """The body as Buildium signs it: no newlines, no space after a colon (its own
    re-serialisation, keys and values as sent); None when it is not JSON."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class HmacTimestamp:
    signature_header: str
    timestamp_header: str
    secret_field: str = "webhook_secret"

    def sign(self, secret: str, timestamp: str, body: bytes) -> str:
        digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        return base64.b64encode(digest.digest()).decode()

    def check(self, headers: Mapping[str, str], body: bytes, keys: Keys, now: float,
              window_s: float) -> str:
        signature = _header(headers, self.signature_header)
        timestamp = _header(headers, self.timestamp_header)
        _fresh(timestamp, now, window_s)
        secret = keys.secret(self.secret_field)
        # The raw body first; a pretty-printed one is signed in its compact form.
        for signed in (body, compact_json(body)):
            if signed is not None and hmac.compare_digest(
                    self.sign(secret, timestamp, signed).encode(), signature.encode()):
                return signature
        raise SignatureRefused(f"{self.signature_header} does not match the body")


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding (and plain base64's `+/`, which one of the
    vendor's own examples decodes with)."""
    text = text.replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Ed25519KeyId:
    header: str = "X-Signature"

    def parts(self, headers: Mapping[str, str]) -> tuple[str, str, bytes]:
        value = _header(headers, self.header)
        parts = value.split(":")
        if len(parts) != 4 or parts[0] != "s":
            raise SignatureRefused(f"{self.header} is not s:keyId:timestamp:signature")
        try:
            signature = b64url_decode(parts[3])
        except (binascii.Error, ValueError):
            raise SignatureRefused(f"{self.header} signature is not base64url") from None
        return parts[1], parts[2], signature

    def check(self, headers: Mapping[str, str], body: bytes, keys: Keys, now: float,
              window_s: float) -> str:
        key_id, timestamp, signature = self.parts(headers)
        _fresh(timestamp, now, window_s)
        try:
            key = Ed25519PublicKey.from_public_bytes(keys.public_key(key_id))
            key.verify(signature, timestamp.encode() + body)
        except (InvalidSignature, ValueError) as error:
            raise SignatureRefused(f"{self.header} does not verify with key {key_id[:40]!r}"
                                   ) from error
        return headers[self.header.lower()]


@dataclass(frozen=True)
class SharedSecret:
    header: str
    secret_field: str = "webhook_secret"

    def check(self, headers: Mapping[str, str], body: bytes, keys: Keys, now: float,
              window_s: float) -> str:
        given = _header(headers, self.header)
        if not hmac.compare_digest(given.encode(), keys.secret(self.secret_field).encode()):
            raise SignatureRefused(f"{self.header} is not the agreed secret")
        return ""  # the same on every delivery: nothing tells a replay from a retry
