"""Value conversions every mapping needs, done one way: money and id ordering."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def money(value: Any) -> Decimal | None:
    """A provider amount as Decimal cents; None stays None. Through str(): a JSON number
    1250.1 stays 1250.1, not 1250.0999…. Anything not a number ("1,250.00", "", a list)
    raises ValueError, so the kit keeps the record as rejected instead of failing the pull
    (decimal's InvalidOperation is an ArithmeticError, which nothing would catch)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"amount is not a number: a {type(value).__name__}")
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        raise ValueError(f"amount {str(value)[:40]!r} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"amount {str(value)[:40]!r} is not a finite number")
    return amount


def id_order(value: str) -> tuple[int, str]:
    """Sort key for provider ids: numeric ids by number, others after them by text."""
    return (int(value), value) if value.isdigit() else (1 << 62, value)
