"""The result of one health check, independent of Dagster."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

WARN = "WARN"
ERROR = "ERROR"

# Metadata values: plain ints, floats and short texts (never record payloads).
Metadata = dict[str, int | float | str]


@dataclass(frozen=True)
class Outcome:
    passed: bool
    description: str
    severity: str = ERROR  # how bad a failure is: WARN or ERROR
    metadata: Metadata = field(default_factory=dict)


def when(moment: datetime | None) -> str:
    """A time as on-call reads it in metadata: ISO 8601 UTC, or 'never'."""
    return "never" if moment is None else moment.isoformat(timespec="seconds")


def listing(lines: list[str], limit: int = 10) -> str:
    """A few lines, then how many more there are."""
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"... and {len(lines) - limit} more")
    return "\n".join(shown) or "none"
