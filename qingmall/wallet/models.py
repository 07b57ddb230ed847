"""Balance tables: one account per shopper, an append-only ledger, and top-ups.

Invariants: ``balance_accounts.balance`` is always the sum of the account's ``balance_entries.amount``
and never negative (a CHECK); every change is one conditional UPDATE of the account plus one entry whose
``balance_after`` is the account's balance right after it, so the ledger can be replayed and audited.
An entry's ``(reason, ref_type, ref_id)`` is unique, so a retried top-up credit, order payment or refund
can never be booked twice. Amounts are integer fen; credits are positive, debits negative.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core import clock
from qingmall.core.db import Base, BigId, IdMixin, UTCDateTime

ENTRY_REASONS = ("topup", "order_payment", "refund", "adjustment")
TOPUP_STATUSES = ("created", "paid")


class BalanceAccount(IdMixin, Base):
    """A shopper's stored value. ``version`` increases with every entry (optimistic ordering of entries)."""

    __tablename__ = "balance_accounts"

    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id", ondelete="RESTRICT"), unique=True)
    balance: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)


class BalanceEntry(IdMixin, Base):
    """One change of one account, with why (``reason``), what caused it (``ref_type``/``ref_id``), who
    (``actor_type``/``actor_id``; staff for adjustments) and the balance right after it.

    Within one account, ids follow the order the balance changed in (the entry is inserted while the
    account row is locked by the UPDATE), so ``balance_after - amount`` equals the previous entry's
    ``balance_after``; ``(account_id, id)`` is indexed for the newest-first statement and the ledger check."""

    __tablename__ = "balance_entries"

    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("balance_accounts.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column()
    balance_after: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(16))
    ref_type: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(200), default="")
    actor_type: Mapped[str] = mapped_column(String(16), default="system")
    actor_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (
        UniqueConstraint("reason", "ref_type", "ref_id", name="uq_balance_entries_reason_ref"),
        Index("ix_balance_entries_account_id_id", "account_id", "id"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        CheckConstraint("reason IN ('topup', 'order_payment', 'refund', 'adjustment')", name="reason_known"),
    )


class TopUp(IdMixin, Base):
    """A shopper's request to add stored value, paid through a payment attempt (``payment_attempts.topup_id``).

    ``status``: created -> paid; the credit entry is booked by the transaction that moves it to paid.
    """

    __tablename__ = "balance_topups"

    topup_no: Mapped[str] = mapped_column(String(32), unique=True)
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="created")
    payment_ref: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('created', 'paid')", name="status_known"),
    )
