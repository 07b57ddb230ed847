"""Orders: the record of a purchase, its lines (snapshots), and its timeline of state changes.

``status`` moves only through ``orders.states.TRANSITIONS`` (and ``AFTER_SALE_TRANSITIONS`` for after-sales).
Amounts are integer fen:
``payable_amount = goods_amount + shipping_fee - discount_amount`` and each of these is the sum over lines
(shipping is an order-level amount). ``(shopper_id, idempotency_key)`` is unique so a retried create returns
the same order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, BigId, IdMixin, TimestampMixin, UTCDateTime


class Order(IdMixin, TimestampMixin, Base):
    """One order of one shopper. ``address`` is a snapshot, so later address edits never change it.

    ``request_hash`` fingerprints the create request, so a retry with the same idempotency key and a
    different body is refused instead of silently answered with the first order. ``payment_ref`` is the
    payment that paid it (a repeated callback with the same reference is a no-op). ``refund_required`` is
    set when a paid order is cancelled before shipping; the payments area refunds it and clears the flag.
    ``cancelled_by`` is ``shopper`` / ``staff`` / ``system``. ``status_before_after_sale`` is the status an
    open after-sale moved the order out of (paid, shipped or completed), so closing the after-sale can put
    it back; it is empty while no after-sale ever opened. ``receiver_phone_hash`` is the blind index
    (``core.crypto.phone_hash``) of the address snapshot's phone, so the merchant can find an order by the
    receiver's full phone without the phone being stored in clear; NULL when the order has no phone (or a
    backfilled row whose cipher the current key cannot open).
    """

    __tablename__ = "orders"

    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    goods_amount: Mapped[int] = mapped_column()
    shipping_fee: Mapped[int] = mapped_column(default=0)
    discount_amount: Mapped[int] = mapped_column(default=0)
    payable_amount: Mapped[int] = mapped_column()
    paid_amount: Mapped[int] = mapped_column(default=0)
    item_count: Mapped[int] = mapped_column(default=0)
    discounts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivery_method: Mapped[str] = mapped_column(String(16), default="express")
    remark: Mapped[str] = mapped_column(String(200), default="")
    carrier_code: Mapped[str] = mapped_column(String(32), default="")
    carrier_name: Mapped[str] = mapped_column(String(64), default="")
    tracking_no: Mapped[str] = mapped_column(String(64), default="")
    receiver_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    cancelled_by: Mapped[str] = mapped_column(String(16), default="")
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    payment_ref: Mapped[str] = mapped_column(String(64), default="")
    status_before_after_sale: Mapped[str] = mapped_column(String(32), default="")
    refund_required: Mapped[bool] = mapped_column(default=False)
    pay_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    auto_complete_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("shopper_id", "idempotency_key"),
        Index("ix_orders_status_deadline", "status", "pay_deadline"),
        Index("ix_orders_status_auto_complete", "status", "auto_complete_at"),
        Index("ix_orders_shopper_created", "shopper_id", "created_at", "id"),
        CheckConstraint("payable_amount >= 0", name="payable_not_negative"),
    )


class OrderLine(IdMixin, Base):
    """One SKU in an order, with title, spec, image and price copied at the moment of ordering.

    ``refunded_quantity`` counts the units an after-sale has refunded (or is refunding): raised only by one
    conditional UPDATE that keeps it within ``0..quantity`` (a CHECK as the last line of defence), so no
    sequence of after-sales can refund a unit twice.
    """

    __tablename__ = "order_lines"

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    spu_id: Mapped[int] = mapped_column(BigId, ForeignKey("spus.id", ondelete="RESTRICT"), index=True)
    sku_id: Mapped[int] = mapped_column(BigId, ForeignKey("skus.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    spec_text: Mapped[str] = mapped_column(String(255), default="")
    image_url: Mapped[str] = mapped_column(String(512), default="")
    unit_price: Mapped[int] = mapped_column()
    quantity: Mapped[int] = mapped_column()
    goods_amount: Mapped[int] = mapped_column()
    discount_amount: Mapped[int] = mapped_column(default=0)
    payable_amount: Mapped[int] = mapped_column()
    weight_grams: Mapped[int] = mapped_column(default=0)
    refunded_quantity: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refunded_within_quantity"),
    )


class OrderEvent(IdMixin, Base):
    """A timeline entry: what happened to an order, from which status to which, and who did it."""

    __tablename__ = "order_events"

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(32), default="")
    to_status: Mapped[str] = mapped_column(String(32), default="")
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
