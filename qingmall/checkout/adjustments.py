"""The plug-in point for price adjustments: promotions, coupons and points each become one strategy.

A strategy ``propose``s discounts for a checkout (read-only, called by every preview and again when the
order is placed: the server never trusts a discount the client sends) and ``redeem``s the ones that were
applied, inside the order's transaction (mark a coupon used with a conditional UPDATE, deduct points),
raising a ``Conflict`` if the benefit is no longer available so the whole order rolls back. Strategies run
in registration order and each sees the amounts left by the ones before it (``PricingContext.lines``
priced so far), e.g. promotions first, then coupons, then points.

None is registered yet: checkout runs with an empty list and ``discounts: []``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.checkout.pricing import Discount, PriceBreakdown


@dataclass(frozen=True)
class PricingContext:
    """What a strategy may look at: who buys, the breakdown so far, where it goes, request options
    (``options`` is where a later ``coupon_id`` or ``use_points`` from the request arrives)."""

    shopper_id: int
    breakdown: PriceBreakdown
    region_codes: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


class PriceAdjuster(Protocol):
    """One source of discounts; ``type`` names it in ``Discount.type`` (``promotion``, ``coupon``, ``points``)."""

    type: str

    async def propose(self, session: AsyncSession, context: PricingContext) -> Sequence[Discount]:
        """Discounts this strategy offers for ``context``. Read-only."""
        ...

    async def redeem(self, session: AsyncSession, *, shopper_id: int, order_id: int, discount: Discount) -> None:
        """Consume an applied discount inside the order transaction; does not commit; raises ``Conflict``."""
        ...


_ADJUSTERS: list[PriceAdjuster] = []


def register_adjuster(adjuster: PriceAdjuster) -> None:
    """Add a strategy (at import time of its area); order of registration is order of application."""
    if any(existing.type == adjuster.type for existing in _ADJUSTERS):
        raise ValueError(f"a price adjuster of type {adjuster.type!r} is already registered")
    _ADJUSTERS.append(adjuster)


def registered_adjusters() -> tuple[PriceAdjuster, ...]:
    return tuple(_ADJUSTERS)
