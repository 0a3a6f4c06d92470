"""Text that Postgres `text` (and a UTF-8 file) can always hold, for the paths that store
what bad input said: a dead letter's reason and key fields, a rejection's reason.

Postgres refuses U+0000 in `text`, and a lone surrogate (which JSON's `\\ud800` escapes
can produce) cannot be encoded as UTF-8 at all. If writing a dead letter could fail on
such a value, the record it describes would stall its shard; so both are written as
visible escapes and the text is bounded, and the write cannot fail on its content.
"""

from __future__ import annotations


def storable_text(value: str, limit: int) -> str:
    """`value` with U+0000 written `\\x00` and lone surrogates `\\udXXX`, cut to `limit`
    characters (the last one `…` when cut)."""
    cut = len(value) > limit
    value = value[:limit]  # before escaping: a 1 MB value costs no more than `limit`
    if "\x00" in value:
        value = value.replace("\x00", "\\x00")
    if not value.isascii():
        value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value[: limit - 1] + "…" if cut or len(value) > limit else value
