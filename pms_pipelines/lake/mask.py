"""Personal data in the lake is replaced by a keyed hash, so the lake can be shared with
people who may not see tenants' details while a value can still be followed (the same
email masks the same way everywhere, under one key).

HMAC-SHA256 rather than a plain hash: without the key, nobody can confirm a guess
("is this jane@example.com?") by hashing it themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

# The canonical fields that hold personal data, wherever they sit in a record
# (names, contact details, dates of birth).
MASKED_FIELDS = frozenset({"first_name", "last_name", "email", "phone", "date_of_birth"})
MASK_KEY_ENV = "PMS_LAKE_MASK_KEY"
MIN_KEY_BYTES = 16
HASH_SHAPE = re.compile(r"^[0-9a-f]{64}$")


class MaskKeyMissing(ValueError):
    """No usable masking key: the lake must not be written unmasked."""


def mask_key_bytes(key: str | None) -> bytes:
    if not key or len(key.encode()) < MIN_KEY_BYTES:
        raise MaskKeyMissing(
            f"{MASK_KEY_ENV} must hold a secret of at least {MIN_KEY_BYTES} bytes"
        )
    return key.encode()


def mask_value(key: bytes, value: Any) -> str:
    """The keyed hash of one value (strings as they are, anything else as JSON)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def mask_record(key: bytes, value: Any) -> Any:
    """A copy of `value` with every masked field's value hashed, at any depth."""
    if isinstance(value, dict):
        return {
            name: (
                None if inner is None else mask_value(key, inner)
            ) if name in MASKED_FIELDS else mask_record(key, inner)
            for name, inner in value.items()
        }
    if isinstance(value, list):
        return [mask_record(key, inner) for inner in value]
    return value


def is_masked(value: Any) -> bool:
    return value is None or (isinstance(value, str) and HASH_SHAPE.match(value) is not None)
