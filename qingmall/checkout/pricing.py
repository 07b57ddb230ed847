"""Pure order pricing: lines, shipping and discounts in, a breakdown in fen out.

Invariants (Hypothesis-tested): every amount is a non-negative integer; the lines' goods, discount and
payable amounts each sum to the order's; ``payable = goods + shipping - discount``; a line's discount never
exceeds its goods amount. Discounts reduce goods only (a shipping discount, when one exists, lowers the
shipping quote before pricing). Each discount is capped at what is left of the lines it applies to, then
spread over those lines by largest remainder (``core.money.allocate``) in proportion to what is left of
each, so partial refunds of lines later add up to the fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from qingmall.core.money import allocate


@dataclass(frozen=True)
class LineInput:
    """One line to price: ``quantity`` units of a SKU at ``unit_price`` fen."""

    sku_id: int
    unit_price: int
    quantity: int


@dataclass(frozen=True)
class Discount:
    """A price adjustment proposed by a promotion, coupon or points strategy.

    ``sku_ids`` limits it to some lines (``None`` = the whole order). ``amount`` is what the strategy asks
    for; the breakdown records what was actually applied after capping. ``ref`` identifies the source
    (a coupon id) so the strategy can redeem it when the order is placed.
    """

    type: str
    title: str
    amount: int
    sku_ids: frozenset[int] | None = None
    ref: str = ""


@dataclass(frozen=True)
class PricedLine:
    sku_id: int
    unit_price: int
    quantity: int
    goods_amount: int
    discount_amount: int
    payable_amount: int


@dataclass(frozen=True)
class PriceBreakdown:
    lines: tuple[PricedLine, ...]
    goods_amount: int
    shipping_fee: int
    discounts: tuple[Discount, ...]
    discount_amount: int
    payable_amount: int
    item_count: int


def price_order(lines: Sequence[LineInput], shipping_fee: int, discounts: Sequence[Discount] = ()) -> PriceBreakdown:
    """Price ``lines`` plus ``shipping_fee`` minus ``discounts`` (applied in the order given)."""
    if shipping_fee < 0:
        raise ValueError("shipping fee must not be negative")
    for line in lines:
        if line.unit_price < 0 or line.quantity < 1:
            raise ValueError("a line needs a non-negative price and a positive quantity")
    goods = [line.unit_price * line.quantity for line in lines]
    remaining = list(goods)
    line_discounts = [0] * len(lines)
    applied: list[Discount] = []
    for discount in discounts:
        if discount.amount <= 0:
            continue
        eligible = [i for i, line in enumerate(lines) if discount.sku_ids is None or line.sku_id in discount.sku_ids]
        room = sum(remaining[i] for i in eligible)
        amount = min(discount.amount, room)
        if amount <= 0:
            continue
        for i, part in zip(eligible, allocate(amount, [remaining[i] for i in eligible]), strict=True):
            line_discounts[i] += part
            remaining[i] -= part
        applied.append(replace(discount, amount=amount))
    priced = tuple(
        PricedLine(
            sku_id=line.sku_id,
            unit_price=line.unit_price,
            quantity=line.quantity,
            goods_amount=goods[i],
            discount_amount=line_discounts[i],
            payable_amount=goods[i] - line_discounts[i],
        )
        for i, line in enumerate(lines)
    )
    goods_amount = sum(goods)
    discount_amount = sum(line_discounts)
    return PriceBreakdown(
        lines=priced,
        goods_amount=goods_amount,
        shipping_fee=shipping_fee,
        discounts=tuple(applied),
        discount_amount=discount_amount,
        payable_amount=goods_amount + shipping_fee - discount_amount,
        item_count=sum(line.quantity for line in lines),
    )
