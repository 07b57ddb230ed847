"""Pure order pricing: exact examples and Hypothesis properties of the breakdown."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingmall.checkout.pricing import Discount, LineInput, price_order


def test_breakdown_without_discounts():
    breakdown = price_order([LineInput(1, 1999, 2), LineInput(2, 500, 1)], shipping_fee=800)
    assert [(line.goods_amount, line.discount_amount, line.payable_amount) for line in breakdown.lines] == [
        (3998, 0, 3998), (500, 0, 500),
    ]
    assert (breakdown.goods_amount, breakdown.shipping_fee, breakdown.discount_amount, breakdown.payable_amount,
            breakdown.item_count, breakdown.discounts) == (4498, 800, 0, 5298, 3, ())


def test_discount_is_spread_by_largest_remainder():
    # 100 fen over three equal lines: 34 + 33 + 33
    breakdown = price_order(
        [LineInput(1, 1000, 1), LineInput(2, 1000, 1), LineInput(3, 1000, 1)], 0,
        [Discount("coupon", "满30减1", 100)],
    )
    assert [line.discount_amount for line in breakdown.lines] == [34, 33, 33]
    assert breakdown.payable_amount == 2900


def test_discount_limited_to_some_skus_and_capped_at_their_amount():
    breakdown = price_order(
        [LineInput(1, 300, 1), LineInput(2, 5000, 1)], 1000,
        [Discount("promotion", "单品立减", 999, sku_ids=frozenset({1}))],
    )
    assert [line.discount_amount for line in breakdown.lines] == [300, 0]
    assert breakdown.discounts == (Discount("promotion", "单品立减", 300, sku_ids=frozenset({1})),)
    assert breakdown.payable_amount == 5000 + 1000


def test_discounts_never_take_shipping_and_a_spent_order_drops_further_discounts():
    asked = [Discount("coupon", "大额券", 5000), Discount("points", "积分", 10)]
    breakdown = price_order([LineInput(1, 500, 2)], 700, asked)
    assert (breakdown.discount_amount, breakdown.payable_amount) == (1000, 700)
    assert [d.type for d in breakdown.discounts] == ["coupon"]


def test_invalid_inputs_are_rejected():
    with pytest.raises(ValueError):
        price_order([LineInput(1, -1, 1)], 0)
    with pytest.raises(ValueError):
        price_order([LineInput(1, 1, 0)], 0)
    with pytest.raises(ValueError):
        price_order([LineInput(1, 1, 1)], -1)


lines = st.lists(
    st.builds(LineInput, sku_id=st.integers(1, 8), unit_price=st.integers(0, 10**7), quantity=st.integers(1, 999)),
    min_size=1, max_size=8,
)
discounts = st.lists(
    st.builds(
        Discount,
        type=st.sampled_from(["promotion", "coupon", "points"]),
        title=st.just("优惠"),
        amount=st.integers(0, 10**9),
        sku_ids=st.none() | st.frozensets(st.integers(1, 8), max_size=4),
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(lines, st.integers(0, 10**6), discounts)
def test_breakdown_invariants(lines, shipping_fee, discounts):
    breakdown = price_order(lines, shipping_fee, discounts)
    # lines sum to totals
    assert sum(line.goods_amount for line in breakdown.lines) == breakdown.goods_amount
    assert sum(line.discount_amount for line in breakdown.lines) == breakdown.discount_amount
    assert sum(line.payable_amount for line in breakdown.lines) + shipping_fee == breakdown.payable_amount
    assert sum(d.amount for d in breakdown.discounts) == breakdown.discount_amount
    # payable = goods + shipping - discounts, never negative, per line too
    assert breakdown.payable_amount == breakdown.goods_amount + breakdown.shipping_fee - breakdown.discount_amount
    assert breakdown.payable_amount >= shipping_fee >= 0
    for line, given_line in zip(breakdown.lines, lines, strict=True):
        assert line.goods_amount == given_line.unit_price * given_line.quantity
        assert 0 <= line.discount_amount <= line.goods_amount
        assert line.payable_amount >= 0
    # an applied discount never exceeds what was asked, and only touches its own SKUs
    asked = {id(d): d for d in discounts}
    assert len(breakdown.discounts) <= len(asked)
    for applied in breakdown.discounts:
        assert applied.amount > 0
        if applied.sku_ids is not None:
            assert applied.amount <= sum(x.goods_amount for x in breakdown.lines if x.sku_id in applied.sku_ids)


@settings(max_examples=200, deadline=None)
@given(lines, st.integers(0, 10**7))
def test_single_discount_is_proportional_within_one_fen(lines, amount):
    breakdown = price_order(lines, 0, [Discount("coupon", "券", amount)])
    total = breakdown.goods_amount
    applied = breakdown.discount_amount
    assert applied == min(amount, total)
    for line in breakdown.lines:
        exact = applied * line.goods_amount / total if total else 0
        assert exact - 1 < line.discount_amount < exact + 1
