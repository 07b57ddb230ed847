"""Channel-independent payment rules: which order may be paid, and applying a verified payment exactly once.

Applying is keyed on the gateway's ``transaction_id``: ``settle_payment`` moves the attempt from
``created``/``closed`` to ``paid`` and sets ``transaction_id`` (unique) with one conditional UPDATE, so of
any number of concurrent deliveries exactly one wins and books the payment (``orders.service.mark_paid`` for
an order, ``wallet.service.credit_topup`` for a top-up); the others answer ``duplicate``. A verified
payment is never dropped: if the order can no longer take it (cancelled meanwhile, or paid by another
attempt) a full refund is recorded in the same transaction and requested at the gateway after the commit.
Network calls never run inside an open database transaction (SQLite holds its write lock per transaction).

The channel modules (``wechat``, ``alipay``, ``balance``) verify their gateway's messages and call in here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.errors import AppError, Conflict, InvalidInput, NotFound, Unauthorized
from qingmall.orders import service as orders_service
from qingmall.orders import states as order_states
from qingmall.orders.models import Order
from qingmall.payments import refunds
from qingmall.payments.gateways import Gateways
from qingmall.payments.models import PaymentAttempt, PaymentNotification
from qingmall.wallet import service as wallet_service

log = structlog.get_logger("qingmall.payments")

APPLIED = "applied"
DUPLICATE = "duplicate"
REFUND_REQUESTED = "refund_requested"
# Order errors after which the money must go back to the payer instead of onto the order.
_REFUND_CODES = frozenset({"invalid_order_state", "order_already_paid", "amount_mismatch", "topup_already_paid"})
_CHANNEL_LETTERS = {"wechat": "W", "alipay": "A", "balance": "B"}

_REJECTIONS: dict[str, tuple[int, str]] = {
    "rejected_signature": (401, "通知签名无效"),
    "rejected_probe": (401, "签名探测请求，不处理"),
    "rejected_stale": (401, "通知时间戳已过期"),
    "rejected_decrypt": (400, "通知内容无法解密"),
    "rejected_event": (400, "不是支付成功通知"),
    "rejected_state": (400, "交易状态不是支付成功"),
    "rejected_unknown_trade": (404, "商户订单号不存在"),
    "rejected_merchant": (400, "通知的 appid 或商户号与支付单不一致"),
    "rejected_amount": (400, "通知金额与支付单金额不一致"),
    "rejected_conflict": (409, "支付单已由另一笔交易支付"),
    "rejected_unknown_refund": (404, "退款单号不存在"),
}


@dataclass(frozen=True)
class NotificationResult:
    """What became of one notification (or reconciliation). ``accepted`` outcomes are acknowledged."""

    outcome: str

    @property
    def accepted(self) -> bool:
        return not self.outcome.startswith("rejected_")

    def error(self) -> AppError:
        status, message = _REJECTIONS.get(self.outcome, (400, "通知被拒绝"))
        error_class = {401: Unauthorized, 404: NotFound, 409: Conflict}.get(status, InvalidInput)
        error = error_class(message, code=self.outcome)
        error.status_code = status
        return error


@dataclass(frozen=True)
class PayableOrder:
    """The facts about a pending order that starting a payment needs."""

    id: int
    order_no: str
    shopper_id: int
    payable_amount: int
    pay_deadline: datetime | None


@dataclass(frozen=True)
class VerifiedPayment:
    """A payment the gateway vouched for (signature checked, or our own query answered): what to settle."""

    channel: str
    out_trade_no: str
    transaction_id: str
    amount: int
    appid: str
    mchid: str
    paid_at: datetime | None
    currency: str = "CNY"


# --- starting a payment ---------------------------------------------------------------------------------


async def payable_order(session: AsyncSession, order_no: str, *, shopper_id: int | None) -> PayableOrder:
    """The pending order ``order_no`` (of ``shopper_id``; any shopper's when ``None``, for friend pays),
    or the reason it cannot be paid now. Does not commit."""
    query = select(Order.id, Order.order_no, Order.shopper_id, Order.status, Order.payable_amount,
                   Order.pay_deadline).where(Order.order_no == order_no)
    if shopper_id is not None:
        query = query.where(Order.shopper_id == shopper_id)
    order = (await session.execute(query)).one_or_none()
    if order is None:
        raise NotFound("订单不存在")
    if order.status != order_states.PENDING_PAYMENT:
        raise Conflict("订单当前状态不能支付", code="order_not_payable")
    if order.pay_deadline is not None and order.pay_deadline <= clock.now():
        raise Conflict("订单已超过支付期限", code="payment_deadline_passed")
    if order.payable_amount <= 0:
        raise Conflict("订单无需支付", code="order_not_payable")
    return PayableOrder(order.id, order.order_no, order.shopper_id, order.payable_amount, order.pay_deadline)


async def next_out_trade_no(session: AsyncSession, channel: str, *, order_id: int | None = None,
                            topup_id: int | None = None, base_no: str) -> str:
    """``base_no`` + channel letter + attempt number: unique, 6-32 chars of ``[0-9A-Za-z]`` as both
    gateways require. Does not commit."""
    owner = PaymentAttempt.order_id == order_id if order_id is not None else PaymentAttempt.topup_id == topup_id
    attempts = await session.scalar(select(func.count()).where(owner)) or 0
    value = f"{base_no}{_CHANNEL_LETTERS[channel]}{attempts + 1}"
    if not 6 <= len(value) <= 32:
        raise InvalidInput("订单号过长，无法发起支付", code="invalid_out_trade_no")
    return value


async def open_attempt(session: AsyncSession, *, order_id: int | None, topup_id: int | None, channel: str):
    """The ``created`` attempt of an order (or top-up) on a channel, if any. Does not commit."""
    owner = PaymentAttempt.order_id == order_id if order_id is not None else PaymentAttempt.topup_id == topup_id
    return await session.scalar(
        select(PaymentAttempt).where(owner, PaymentAttempt.channel == channel, PaymentAttempt.status == "created")
    )


async def close_attempt(session: AsyncSession, attempt_id: int) -> None:
    """Mark a superseded ``created`` attempt closed (a late payment on it is still applied). Does not commit."""
    await session.execute(
        update(PaymentAttempt).where(PaymentAttempt.id == attempt_id, PaymentAttempt.status == "created")
        .values(status="closed").execution_options(synchronize_session=False)
    )


async def insert_attempt(session: AsyncSession, attempt: PaymentAttempt) -> PaymentAttempt | None:
    """Insert a new ``created`` attempt and commit; ``None`` when a concurrent request opened one first
    (the partial unique index of one open attempt per order and channel), after rolling back."""
    session.add(attempt)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return attempt


async def unpaid_trades(session: AsyncSession, order_id: int, channel: str) -> list[str] | None:
    """For reconciliation: the ``out_trade_no`` of a pending order's unpaid attempts on a channel, newest
    first; ``None`` when the order is no longer pending (nothing to ask). Ends the read transaction, so the
    caller may go to the gateway next."""
    status = await session.scalar(select(Order.status).where(Order.id == order_id))
    if status is None:
        raise NotFound("订单不存在")
    trades = None
    if status == order_states.PENDING_PAYMENT:
        trades = list(await session.scalars(
            select(PaymentAttempt.out_trade_no)
            .where(PaymentAttempt.order_id == order_id, PaymentAttempt.channel == channel,
                   PaymentAttempt.status.in_(("created", "closed")))
            .order_by(PaymentAttempt.id.desc())
        ))
    await session.rollback()
    return trades


# --- notifications ----------------------------------------------------------------------------------------


async def log_notification(
    session: AsyncSession, *, channel: str, outcome: str, notification_id: str | None, transaction_id: str = "",
    out_trade_no: str = "", summary: dict[str, Any],
) -> PaymentNotification | None:
    """Add an audit row inside the caller's transaction (does not commit). A redelivered id is logged once
    (``None`` answers that the id was already logged). Only verified notifications may pass an id."""
    row = PaymentNotification(
        channel=channel, notification_id=notification_id or None, transaction_id=transaction_id[:64],
        out_trade_no=out_trade_no[:64], outcome=outcome, summary=summary, received_at=clock.now(),
    )
    if notification_id is None:
        session.add(row)
        return row
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


async def reject(
    session: AsyncSession, payment: VerifiedPayment | None, outcome: str, *, channel: str,
    notification_id: str | None = None, summary: dict[str, Any],
) -> NotificationResult:
    """Log a refused notification and commit; nothing else changes."""
    await log_notification(
        session, channel=channel, outcome=outcome, notification_id=notification_id,
        transaction_id=payment.transaction_id if payment else "", out_trade_no=payment.out_trade_no if payment else "",
        summary=summary,
    )
    await session.commit()
    log.warning("payment_notification_rejected", channel=channel, outcome=outcome,
                out_trade_no=payment.out_trade_no if payment else None)
    return NotificationResult(outcome)


async def settle_payment(
    session: AsyncSession, gateways: Gateways, payment: VerifiedPayment, *, notification_id: str | None,
    summary: dict[str, Any],
) -> NotificationResult:
    """Check a verified payment against its attempt and book it once; commits (then sends any refund).

    The attempt must exist on this channel with the payment's amount, appid and mchid, else the payment is
    rejected and logged. The winner of the conditional UPDATE books it; a repeat answers ``duplicate``; a
    different transaction for an attempt already paid is ``rejected_conflict``.
    """
    channel = payment.channel

    async def refuse(outcome: str) -> NotificationResult:
        return await reject(session, payment, outcome, channel=channel, notification_id=notification_id,
                            summary=summary)

    attempt = await session.scalar(
        select(PaymentAttempt).where(PaymentAttempt.out_trade_no == payment.out_trade_no,
                                     PaymentAttempt.channel == channel)
    )
    if attempt is None:
        return await refuse("rejected_unknown_trade")
    attempt_id, order_id, topup_id, amount = attempt.id, attempt.order_id, attempt.topup_id, attempt.amount
    if (payment.appid, payment.mchid) != (attempt.appid, attempt.mchid):
        return await refuse("rejected_merchant")
    if payment.amount != amount or payment.currency != "CNY":
        return await refuse("rejected_amount")
    try:
        claimed = await session.execute(
            update(PaymentAttempt)
            .where(PaymentAttempt.id == attempt_id, PaymentAttempt.status.in_(("created", "closed")),
                   PaymentAttempt.transaction_id.is_(None))
            .values(status="paid", transaction_id=payment.transaction_id, paid_at=payment.paid_at or clock.now())
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:
        await session.rollback()
        claimed = None
    if claimed is None or claimed.rowcount != 1:
        current = await session.scalar(select(PaymentAttempt.transaction_id).where(PaymentAttempt.id == attempt_id))
        if current != payment.transaction_id:
            return await refuse("rejected_conflict")
        await log_notification(session, channel=channel, outcome=DUPLICATE, notification_id=notification_id,
                               transaction_id=payment.transaction_id, out_trade_no=payment.out_trade_no,
                               summary=summary)
        await session.commit()
        await refunds.send_pending_refunds(session, gateways, attempt_id=attempt_id)
        return NotificationResult(DUPLICATE)
    # Logged before booking, whose commit then covers the attempt, the log row and the order (or top-up).
    log_row = await log_notification(session, channel=channel, outcome=APPLIED, notification_id=notification_id,
                                     transaction_id=payment.transaction_id, out_trade_no=payment.out_trade_no,
                                     summary=summary)
    try:
        if topup_id is not None:
            await wallet_service.credit_topup(session, topup_id, amount=amount, payment_ref=payment.transaction_id)
        else:
            await orders_service.mark_paid(session, order_id, paid_amount=amount, payment_ref=payment.transaction_id)
    except Conflict as exc:
        if exc.code not in _REFUND_CODES:
            await session.rollback()  # e.g. order_busy: answer non-2xx so the gateway retries
            raise
        await refunds.record_full_refund(session, attempt_id, reason=f"订单无法入账（{exc.code}），自动全额退款")
        if log_row is not None:
            log_row.outcome = REFUND_REQUESTED
            log_row.summary = {**summary, "order_error": exc.code}
        await session.commit()
        await refunds.send_pending_refunds(session, gateways, attempt_id=attempt_id)
        return NotificationResult(REFUND_REQUESTED)
    await session.commit()
    return NotificationResult(APPLIED)
