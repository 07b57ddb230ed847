"""Tables of the cart area."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, BigId, IdMixin, TimestampMixin
from qingmall.shoppers.models import ShopperOwned


class CartItem(IdMixin, ShopperOwned, TimestampMixin, Base):
    """One SKU in one shopper's cart. ``(shopper_id, sku_id)`` is unique: adding again raises the quantity.

    ``price_when_added`` is the unit price (fen) when the SKU first went into the cart, kept so the cart can
    say "比加入时降价 ¥2.00"; checkout always charges the current price. ``quantity`` is 1..999.
    """

    __tablename__ = "cart_items"

    sku_id: Mapped[int] = mapped_column(BigId, ForeignKey("skus.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column()
    selected: Mapped[bool] = mapped_column(default=True)
    price_when_added: Mapped[int] = mapped_column()

    __table_args__ = (
        UniqueConstraint("shopper_id", "sku_id"),
        CheckConstraint("quantity >= 1 AND quantity <= 999", name="quantity_in_range"),
    )
