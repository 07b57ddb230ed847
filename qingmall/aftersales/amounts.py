"""How much an after-sale refunds: pure rules, integer fen, exact to the fen.

A line's ``payable_amount`` (its goods less its share of the order's discounts) is split over its units by
largest remainder (``core.money.allocate`` with equal weights): unit ``i`` is worth ``units[i]``, the
earlier units taking the odd fen. Units are refunded in order, so refunding ``k`` units of a line of which
``r`` were refunded before gives back ``units[r] + ... + units[r + k - 1]``: whatever the split, refunding
every unit adds up to exactly ``payable_amount``, and no refund can exceed what the line was paid.

The shipping fee goes back only with a ``refund_only`` after-sale that covers every unit still unrefunded
while the order is unshipped (``paid``): then nothing was delivered, so nothing of the order was earned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qingmall.core.money import allocate


def unit_amounts(payable_amount: int, quantity: int) -> list[int]:
    """What each unit of a line is worth, in refund order; the parts sum to ``payable_amount``."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    return allocate(payable_amount, [1] * quantity)


def refund_amount(payable_amount: int, quantity: int, *, already_refunded: int, refunding: int) -> int:
    """The refund for units ``already_refunded .. already_refunded + refunding - 1`` of a line."""
    if refunding <= 0 or already_refunded < 0 or already_refunded + refunding > quantity:
        raise ValueError("units out of range")
    return sum(unit_amounts(payable_amount, quantity)[already_refunded : already_refunded + refunding])


@dataclass(frozen=True)
class LineState:
    """One order line as the rules need it."""

    line_id: int
    quantity: int
    refunded_quantity: int
    payable_amount: int

    @property
    def refundable_quantity(self) -> int:
        return self.quantity - self.refunded_quantity


def covers_every_remaining_unit(lines: Sequence[LineState], requested: dict[int, int]) -> bool:
    """Whether ``requested`` (line id -> units) asks for every unit not yet refunded, on every line."""
    return all(requested.get(line.line_id, 0) == line.refundable_quantity for line in lines)
