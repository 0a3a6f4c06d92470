"""What may go into an alert: short identifiers as they are, and free text (an exception
message, a check's summary) only as a scrubbed, length-limited first line.

Free text is the risk: an exception message can carry a PMS response body, a tenant's
name or email, a URL with a token, a credential. Scrubbing removes what can be
recognised (bodies, quoted values, emails, phone numbers, bearer tokens, `key=value`
secrets, URL credentials and queries, long token-like strings, vendor messages); the
rest is cut to one line of at most `FIRST_LINE_LIMIT` characters."""

from __future__ import annotations

import re

FIRST_LINE_LIMIT = 200
IDENTIFIER_LIMIT = 120
REDACTED = "[redacted]"

# Order matters: bodies and quoted values go first, so what they held is not seen again.
_RULES: list[tuple[re.Pattern[str], str]] = [
    # A JSON/XML/HTML body to the end of the line (a PMS response echoed in an error).
    (re.compile(r"[\[{<].*$"), "[body removed]"),
    # The vendor's own words after a PmsApiError's "after N attempt(s):".
    (re.compile(r"(after \d+ attempt\(s\)): .*$"), r"\1: [vendor message withheld]"),
    # Quoted values (repr of a record field, a name in quotes).
    (re.compile(r"'[^']*'|\"[^\"]*\""), "'…'"),
    # Authorization headers and bearer/basic tokens.
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"(?i)\b(authorization|proxy-authorization)\s*[:=]\s*\S+"), r"\1: " + REDACTED),
    # key=value / key: value where the key names a secret.
    (re.compile(
        r"(?i)\b([\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
        r"|client[_-]?id|signature|credential|session|cookie)[\w-]*)(\s*[:=]\s*)\S+"
    ), r"\1\2" + REDACTED),
    # URL user:password@ and query strings (tokens ride in them).
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@"), r"\1" + REDACTED + "@"),
    (re.compile(r"(\S)\?\S*"), r"\1?" + REDACTED),
    # Emails, then phone numbers (7+ digits with optional +, spaces, dots, dashes, parens).
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w.-])\+?\(?\d(?:[\d\s().-]{5,}\d)(?![\w.])"), "[number]"),
    # AWS access key ids and long token-like strings (20+ chars mixing letters and digits).
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), REDACTED),
    (re.compile(r"(?<![\w+=])(?=[\w+=]*\d)(?=[\w+=]*[A-Za-z])[\w+=]{20,}"), REDACTED),
]
_SAFE_IDENTIFIER = re.compile(r"[^A-Za-z0-9_.:/-]")


def scrub_first_line(text: str | None, limit: int = FIRST_LINE_LIMIT) -> str:
    """The first non-empty line of `text`, scrubbed and cut to `limit` characters."""
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    for pattern, replacement in _RULES:
        line = pattern.sub(replacement, line)
    line = "".join(ch for ch in line if ch.isprintable())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def safe_identifier(value: str | None, limit: int = IDENTIFIER_LIMIT) -> str | None:
    """A name, id or key (job, run id, partition, step, error class) with anything but
    letters, digits and `_.:/-` replaced, cut to `limit`; None stays None."""
    if value is None:
        return None
    cleaned = _SAFE_IDENTIFIER.sub("_", value)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
