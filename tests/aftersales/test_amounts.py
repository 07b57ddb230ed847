"""The refund amount rule: units priced by largest remainder, so any split of a line's units refunds exactly
what the line was paid, and no refund is ever more than what is left."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingmall.aftersales.amounts import LineState, covers_every_remaining_unit, refund_amount, unit_amounts


def test_units_take_the_odd_fen_first():
    assert unit_amounts(2900, 3) == [967, 967, 966]
    assert unit_amounts(1000, 3) == [334, 333, 333]
    assert unit_amounts(0, 2) == [0, 0]
    assert refund_amount(2900, 3, already_refunded=0, refunding=1) == 967
    assert refund_amount(2900, 3, already_refunded=1, refunding=2) == 967 + 966
    assert refund_amount(1, 3, already_refunded=1, refunding=2) == 0


@pytest.mark.parametrize(("already", "refunding"), [(0, 0), (0, 4), (3, 1), (-1, 1), (2, -1)])
def test_units_out_of_range_are_refused(already, refunding):
    with pytest.raises(ValueError, match="units out of range"):
        refund_amount(2900, 3, already_refunded=already, refunding=refunding)


def _splits(quantity: int):
    """Ways to cut ``quantity`` units into consecutive refunds of at least one unit."""
    return st.lists(st.integers(min_value=1, max_value=quantity), min_size=1, max_size=quantity).map(
        lambda parts: _fit(parts, quantity)
    )


def _fit(parts: list[int], quantity: int) -> list[int]:
    fitted, left = [], quantity
    for part in parts:
        if left == 0:
            break
        take = min(part, left)
        fitted.append(take)
        left -= take
    if left:
        fitted.append(left)
    return fitted


@given(
    payable=st.integers(min_value=0, max_value=10**12),
    data=st.data(),
    quantity=st.integers(min_value=1, max_value=60),
)
def test_any_split_of_every_unit_refunds_exactly_the_line_payable(payable, data, quantity):
    split = data.draw(_splits(quantity))
    refunded, amounts = 0, []
    for units in split:
        amounts.append(refund_amount(payable, quantity, already_refunded=refunded, refunding=units))
        refunded += units
    assert refunded == quantity
    assert sum(amounts) == payable
    assert all(amount >= 0 for amount in amounts)
    # and each refund is within one fen per unit of its even share
    for amount, units in zip(amounts, split, strict=True):
        assert payable * units // quantity - units <= amount <= -(-payable * units // quantity) + units


@given(
    payable=st.integers(min_value=0, max_value=10**9), quantity=st.integers(min_value=1, max_value=50), data=st.data()
)
def test_a_partial_refund_never_exceeds_what_is_left(payable, quantity, data):
    already = data.draw(st.integers(min_value=0, max_value=quantity - 1))
    units = data.draw(st.integers(min_value=1, max_value=quantity - already))
    paid_back_before = refund_amount(payable, quantity, already_refunded=0, refunding=already) if already else 0
    assert refund_amount(payable, quantity, already_refunded=already, refunding=units) <= payable - paid_back_before


def test_shipping_goes_back_only_when_every_remaining_unit_is_asked_for():
    lines = [LineState(1, 3, 1, 2900), LineState(2, 1, 0, 500)]
    assert covers_every_remaining_unit(lines, {1: 2, 2: 1})
    assert not covers_every_remaining_unit(lines, {1: 2})
    assert not covers_every_remaining_unit(lines, {1: 1, 2: 1})
    assert covers_every_remaining_unit([LineState(1, 2, 2, 100), LineState(2, 1, 0, 5)], {2: 1})
