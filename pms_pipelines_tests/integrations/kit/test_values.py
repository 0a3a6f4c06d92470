"""The kit's value conversions: money is Decimal cents, and garbage is a ValueError."""

from decimal import Decimal

import pytest

from pms_pipelines.integrations.kit.values import id_order, money


@pytest.mark.parametrize(("raw", "expected"), [
    (None, None), (1250, Decimal("1250.00")), (1250.1, Decimal("1250.10")),
    ("99.999", Decimal("100.00")), (Decimal("7.5"), Decimal("7.50")),
])
def test_money(raw, expected) -> None:
    assert money(raw) == expected


@pytest.mark.parametrize("raw", ["1,250.00", "", "NaN", "Infinity", [], {}, True])
def test_money_refuses_what_is_not_a_number(raw) -> None:
    with pytest.raises(ValueError, match="not a"):
        money(raw)


def test_id_order_sorts_numbers_numerically_then_text() -> None:
    assert sorted(["10", "9", "b", "a"], key=id_order) == ["9", "10", "a", "b"]


@pytest.mark.parametrize("raw", [-1.79e308, 1.79e308, "1e400", 10**12, -(10**30)])
def test_money_too_large_to_hold_is_out_of_range_not_garbage(raw) -> None:
    """JSON numbers reach ±1.79e308 and are spec-valid amounts: rounding them to cents
    overflowed decimal's context and was reported as "not a number"."""
    with pytest.raises(ValueError, match="out of range"):
        money(raw)


def test_the_largest_amount_the_model_holds_is_kept() -> None:
    assert money("999999999999.99") == Decimal("999999999999.99")
