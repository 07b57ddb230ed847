"""Payment tables: one row per attempt at a gateway, an audit log of notifications, refunds, friend-pay links.

Invariants: ``out_trade_no`` and ``transaction_id`` are unique, so a payment is applied once whatever the
number of notifications; at most one attempt per (order, channel) is ``created`` (a partial unique index),
so a shopper who taps "pay" twice reuses the open attempt. An attempt pays exactly one thing: an order or a
balance top-up. ``refunded_amount`` never exceeds ``amount`` (a CHECK, raised by one conditional UPDATE per
refund), so no sequence of partial refunds can give back more than was paid. Amounts are integer fen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core import clock
from qingmall.core.db import Base, BigId, IdMixin, UTCDateTime

ATTEMPT_STATUSES = ("created", "paid", "closed", "refunding", "refunded")
CHANNELS = ("wechat", "alipay", "balance")


class PaymentAttempt(IdMixin, Base):
    """One attempt to pay an order through one channel (``out_trade_no`` is what the gateway knows).

    ``status``: created -> paid -> refunding -> refunded, or created -> closed (superseded / expired); a
    partial refund leaves it ``paid`` with ``refunded_amount`` > 0. ``transaction_id`` is the gateway's payment
    id (``BAL<entry id>`` for balance); its unique index is the idempotency key of applying.
    ``payer_shopper_id`` is who pays (the order's shopper, or a friend through a pay-for-me link).
    ``installments`` / ``seller_percent`` are the Alipay Huabei terms the trade was created with: changing
    them needs a new ``out_trade_no``. For Alipay ``appid`` is the app_id and ``mchid`` the seller id;
    balance attempts leave both empty.
    """

    __tablename__ = "payment_attempts"

    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    topup_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("balance_topups.id", ondelete="RESTRICT"), index=True
    )
    payer_shopper_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("shoppers.id", ondelete="RESTRICT"))
    channel: Mapped[str] = mapped_column(String(16))
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    amount: Mapped[int] = mapped_column()
    appid: Mapped[str] = mapped_column(String(32))
    mchid: Mapped[str] = mapped_column(String(32))
    prepay_id: Mapped[str] = mapped_column(String(64), default="")
    installments: Mapped[int] = mapped_column(default=0)
    seller_percent: Mapped[int] = mapped_column(default=0)
    refunded_amount: Mapped[int] = mapped_column(default=0)
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
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"),
        CheckConstraint("(order_id IS NULL) <> (topup_id IS NULL)", name="pays_one_thing"),
        CheckConstraint("channel IN ('wechat', 'alipay', 'balance')", name="channel_known"),
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
    ``after_sale_id`` links a refund an after-sale asked for (no foreign key: after-sales depends on
    payments, not the other way round); automatic refunds of payments an order could not take have none.
    """

    __tablename__ = "payment_refunds"

    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("payment_attempts.id", ondelete="RESTRICT"), index=True)
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    after_sale_id: Mapped[int | None] = mapped_column(BigId, index=True)
    channel: Mapped[str] = mapped_column(String(16), default="wechat")
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    refund_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'processing', 'success', 'failed')", name="status_known"),
    )


class FriendPayLink(IdMixin, Base):
    """A pay-for-me (好友代付) link of one pending order: whoever holds the token may see the order's summary
    (never its address or phone) and pay it. Only the SHA-256 of the token is stored; a new link replaces
    the order's old one (``order_id`` is unique). It expires with the order's payment deadline.
    """

    __tablename__ = "friend_pay_links"

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    message: Mapped[str] = mapped_column(String(60), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
