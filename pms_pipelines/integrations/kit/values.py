"""Value conversions every mapping needs, done one way: money, text, dates, id order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
# The canonical model holds money in 14 digits, 2 of them after the point (a Postgres
# numeric(14, 2)): anything this large or larger cannot be stored, whatever its sign.
AMOUNT_BOUND = Decimal(10) ** 12


def is_id(value: Any) -> bool:
    """A value that can be an id: a string or a number (not a bool, list or object)."""
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


class MappingError(ValueError):
    """A provider record that cannot become a canonical record; the kit keeps it as
    rejected with this text as its reason."""


def money(value: Any) -> Decimal | None:
    """A provider amount as Decimal cents; None stays None. Through str(): a JSON number
    1250.1 stays 1250.1, not 1250.0999…. Anything not a number ("1,250.00", "", a list)
    raises MappingError, so the kit keeps the record as rejected rather than failing the
    pull (decimal's own InvalidOperation is an ArithmeticError, not a ValueError). A number
    too large to hold (JSON allows ±1.79e308) is "out of range", said before rounding:
    rounding it to cents needs more digits than decimal's context has."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise MappingError(f"amount is not a number: a {type(value).__name__}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise MappingError(f"amount {str(value)[:40]!r} is not a number") from None
    if not amount.is_finite():
        raise MappingError(f"amount {str(value)[:40]!r} is not a finite number")
    if abs(amount) >= AMOUNT_BOUND:
        raise MappingError(f"amount {str(value)[:40]!r} is out of range "
                           f"(at most {AMOUNT_BOUND - CENT} either way)")
    return amount.quantize(CENT)


def id_order(value: str) -> tuple[int, str]:
    """Sort key for provider ids: numeric ids by number, others after them by text."""
    return (int(value), value) if value.isdigit() else (1 << 62, value)


def text(value: Any) -> str | None:
    """A provider string trimmed; empty or missing is None."""
    if value is None:
        return None
    trimmed = str(value).strip()
    return trimmed or None


def iso_date(value: Any) -> date | None:
    """A provider date (`YYYY-MM-DD`, a time part ignored); empty or missing is None."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise MappingError(f"not a date: {value!r}") from None
