"""After-sales (售后): a shopper's request to get money back for units of a paid order, with or without
returning them; its lines (which units, how much) and its timeline.

``status`` moves only through ``aftersales.states.TRANSITIONS``. Amounts are integer fen and fixed when the
after-sale is filed: ``refund_amount = goods_refund + shipping_refund`` and ``goods_refund`` is the sum of
its lines' ``amount`` (see ``aftersales.amounts``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, BigId, IdMixin, TimestampMixin, UTCDateTime

_OPEN = "status IN ('pending_review', 'approved', 'returning', 'refunding')"


class AfterSale(IdMixin, TimestampMixin, Base):
    """One after-sale of one order by its shopper.

    An order has at most one open after-sale (the partial unique index ``uq_after_sales_open_order``, next to
    the order's own conditional move to ``refunding``). ``(shopper_id, idempotency_key)`` is unique, so a
    retried request returns the same after-sale; ``request_hash`` tells a retry from a different request
    reusing the key. ``order_status_at_open`` is where the order was (paid / shipped / completed): it decides
    whether stock goes back and whether the shipping fee was refundable. ``refund_state`` follows the
    refund at the payment channel: ``""`` (not asked yet), ``pending``, ``failed``, ``succeeded``.
    ``photos`` are URLs of images this shopper uploaded (``shopper_uploads``).
    """

    __tablename__ = "after_sales"

    after_sale_no: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200), default="")
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    order_status_at_open: Mapped[str] = mapped_column(String(32))
    goods_refund: Mapped[int] = mapped_column()
    shipping_refund: Mapped[int] = mapped_column(default=0)
    refund_amount: Mapped[int] = mapped_column()
    refund_state: Mapped[str] = mapped_column(String(16), default="")
    reject_reason: Mapped[str] = mapped_column(String(200), default="")
    merchant_note: Mapped[str] = mapped_column(String(200), default="")
    return_carrier_code: Mapped[str] = mapped_column(String(32), default="")
    return_carrier_name: Mapped[str] = mapped_column(String(64), default="")
    return_tracking_no: Mapped[str] = mapped_column(String(64), default="")
    stock_returned: Mapped[bool] = mapped_column(default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("shopper_id", "idempotency_key"),
        Index(
            "uq_after_sales_open_order", "order_id", unique=True, sqlite_where=text(_OPEN), postgresql_where=text(_OPEN)
        ),
        Index("ix_after_sales_shopper_created", "shopper_id", "created_at", "id"),
        Index("ix_after_sales_status_created", "status", "created_at", "id"),
        CheckConstraint("kind IN ('refund_only', 'return_refund')", name="kind_known"),
        CheckConstraint(
            "status IN ('pending_review', 'approved', 'rejected', 'withdrawn', 'returning', 'refunding', 'refunded')",
            name="status_known",
        ),
        CheckConstraint("goods_refund >= 0 AND shipping_refund >= 0", name="amounts_not_negative"),
        CheckConstraint("refund_amount = goods_refund + shipping_refund", name="amount_adds_up"),
    )


class AfterSaleLine(IdMixin, Base):
    """Units of one order line in an after-sale: ``quantity`` units starting at unit ``first_unit`` (the
    units of the line refunded before it), worth ``amount`` fen. One row per order line per after-sale."""

    __tablename__ = "after_sale_lines"

    after_sale_id: Mapped[int] = mapped_column(BigId, ForeignKey("after_sales.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("order_lines.id", ondelete="RESTRICT"), index=True)
    sku_id: Mapped[int] = mapped_column(BigId, ForeignKey("skus.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column()
    first_unit: Mapped[int] = mapped_column()
    amount: Mapped[int] = mapped_column()

    __table_args__ = (
        UniqueConstraint("after_sale_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("first_unit >= 0", name="first_unit_not_negative"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )


class AfterSaleEvent(IdMixin, Base):
    """A timeline entry of an after-sale: what happened, from which status to which, who did it, and why."""

    __tablename__ = "after_sale_events"

    after_sale_id: Mapped[int] = mapped_column(BigId, ForeignKey("after_sales.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(16), default="")
    to_status: Mapped[str] = mapped_column(String(16), default="")
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
