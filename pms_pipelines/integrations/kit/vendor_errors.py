"""What of a provider's error body may reach an error text, and so logs and the Dagster UI.

An error body is untrusted: PropertyMe documents a 400 on `/v1/contacts` whose body is a
list of contacts (names, phones, emails, bank details), and a proxy may answer with a
page of HTML. So nothing of a body is copied whole. Each integration declares, from its
spec's error schema, where the vendor puts its error code, its message and its list of
field errors (`ErrorFields`); only those fields are read, only when they hold text, each
bounded. Whatever else the body holds, the text says only how big it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

FIELD_CHARS = 200  # a code or a message; a field error gets half
MAX_DETAILS = 5
UNKNOWN = "no error fields the kit knows"
NOT_JSON = object()


@dataclass(frozen=True)
class ErrorFields:
    """Where one error schema puts its parts: dotted paths to the code and the message
    (the first that holds text wins), and to a list of field errors with the names of
    each item's field and message."""

    code: tuple[str, ...] = ()
    message: tuple[str, ...] = ()
    details: str | None = None
    detail_keys: tuple[str, str] = ("key", "message")


# RFC 6749 5.2: what an OAuth token endpoint answers when it refuses a grant.
OAUTH_ERROR = ErrorFields(code=("error",), message=("error_description",))


@dataclass(frozen=True)
class VendorError:
    """What an error response may say about itself: the vendor's code and message (from
    declared fields only) and the size of its body."""

    code: str | None
    message: str
    body_bytes: int

    def __str__(self) -> str:
        said = self.message if self.code in (None, self.message) else f"{self.code}: {self.message}"
        return f"{said} ({self.body_bytes}-byte body)"


def read_error(body: bytes, schemas: Iterable[ErrorFields]) -> VendorError:
    """The vendor's code and message from `body`, by the first of `schemas` that finds
    either; never any other part of the body."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = NOT_JSON
    if isinstance(parsed, dict):
        for schema in schemas:
            code = _first_text(parsed, schema.code)
            message = _first_text(parsed, schema.message)
            details = _details(parsed, schema) if schema.details else []
            if code or message or details:
                said = message or code or "(no message)"
                if details:
                    said += f" ({'; '.join(details)})"
                return VendorError(code, said, len(body))
    return VendorError(None, f"{UNKNOWN} in {_kind(body, parsed)}", len(body))


def _kind(body: bytes, parsed: Any) -> str:
    if not body.strip():
        return "an empty body"
    if parsed is NOT_JSON:
        return "a non-JSON body"
    return {dict: "a JSON object", list: "a JSON array"}.get(type(parsed), "a JSON value")


def _at(node: Any, path: str) -> Any:
    for key in path.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _text(value: Any, limit: int = FIELD_CHARS) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None  # an object or a list in a "message" field is not a message
    text = " ".join(str(value).split())
    return (text[:limit] + "…" if len(text) > limit else text) or None


def _first_text(parsed: dict, paths: tuple[str, ...]) -> str | None:
    return next((t for t in (_text(_at(parsed, p)) for p in paths) if t), None)


def _details(parsed: dict, schema: ErrorFields) -> list[str]:
    items = _at(parsed, schema.details or "")
    if not isinstance(items, list):
        return []
    key_name, message_name = schema.detail_keys
    out = []
    for item in items[:MAX_DETAILS]:
        if isinstance(item, dict):
            key = _text(item.get(key_name), FIELD_CHARS // 2)
            message = _text(item.get(message_name), FIELD_CHARS // 2)
            if message:
                out.append(f"{key}: {message}" if key else message)
    if len(items) > MAX_DETAILS:
        out.append(f"{len(items) - MAX_DETAILS} more")
    return out
