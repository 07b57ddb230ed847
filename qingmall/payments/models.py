"""Payment tables: one row per attempt at a gateway, an audit log of notifications, and refunds.

Invariants: ``out_trade_no`` and ``transaction_id`` are unique, so a payment is applied once whatever the
number of notifications; at most one attempt per (order, channel) is ``created`` (a partial unique index),
so a shopper who taps "pay" twice reuses the open attempt. Amounts are integer fen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core import clock
from qingmall.core.db import Base, BigId, IdMixin, UTCDateTime

ATTEMPT_STATUSES = ("created", "paid", "closed", "refunding", "refunded")


class PaymentAttempt(IdMixin, Base):
    """One attempt to pay an order through one channel (``out_trade_no`` is what the gateway knows).

    ``status``: created -> paid -> refunding -> refunded, or created -> closed (superseded / expired).
    ``transaction_id`` is the gateway's payment id; its unique index is the idempotency key of applying.
    """

    __tablename__ = "payment_attempts"

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    amount: Mapped[int] = mapped_column()
    appid: Mapped[str] = mapped_column(String(32))
    mchid: Mapped[str] = mapped_column(String(32))
    prepay_id: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="created")
    transaction_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (
        Index(
            "uq_payment_attempts_open",
            "order_id",
            "channel",
            unique=True,
            sqlite_where=text("status = 'created'"),
            postgresql_where=text("status = 'created'"),
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "status IN ('created', 'paid', 'closed', 'refunding', 'refunded')", name="status_known"
        ),
    )


class PaymentNotification(IdMixin, Base):
    """Audit log of gateway notifications and what we did with each (``outcome``).

    ``notification_id`` is set only for notifications whose signature verified (an unverified id must not
    claim the key a genuine notification needs); a redelivery of a logged id is not logged twice.
    ``summary`` holds non-secret facts (event type, amounts, ids, the rejection reason), never ciphertext,
    signatures or the payer's openid.
    """

    __tablename__ = "payment_notifications"

    channel: Mapped[str] = mapped_column(String(16))
    notification_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    transaction_id: Mapped[str] = mapped_column(String(64), default="")
    out_trade_no: Mapped[str] = mapped_column(String(64), default="", index=True)
    outcome: Mapped[str] = mapped_column(String(32))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Refund(IdMixin, Base):
    """A refund of a paid attempt. ``out_refund_no`` is unique and reused on retry (the gateway dedupes on it).

    ``status``: pending (recorded, not yet accepted by the gateway) -> processing -> success | failed.
    """

    __tablename__ = "payment_refunds"

    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("payment_attempts.id", ondelete="RESTRICT"), index=True)
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    refund_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
