"""The daily reconciliation report: money that moved at the gateways versus what the orders say.

For one Beijing-time day it totals payments and refunds per channel, and lists every mismatch:

- ``payment_not_booked``: an attempt was paid but its order does not carry that payment and it has not
  been refunded in full (money taken, nothing delivered);
- ``booked_without_payment``: an order paid that day whose ``payment_ref`` matches no paid attempt, or
  whose amount differs from the attempt's;
- ``topup_not_credited``: a paid top-up attempt whose top-up was never credited;
- ``refund_stuck``: a refund still pending / processing an hour after it was recorded;
- ``refund_failed``: a refund the gateway refused (to be retried by staff);
- ``refund_required``: a cancelled paid order still waiting for its refund to be recorded;
- ``ledger``: a balance account that disagrees with its ledger.

A clean day has an empty ``mismatches`` list. The nightly job logs the report's problems; staff read it
at ``GET /api/admin/v1/payments/reconciliation?date=YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.errors import NotFound
from qingmall.orders.models import Order
from qingmall.payments.gateways import Gateways
from qingmall.payments.models import PaymentAttempt, PaymentNotification, Refund
from qingmall.payments.schemas import (
    ChannelTotals,
    Mismatch,
    NotificationAdminPublic,
    OrderPaymentsAdminPublic,
    PaymentAttemptAdminPublic,
    ReconcileOrderPublic,
    ReconciliationReport,
    RefundAdminPublic,
)
from qingmall.wallet import service as wallet_service
from qingmall.wallet.models import TopUp

STUCK_AFTER = timedelta(hours=1)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC interval of one Beijing-time day."""
    start = datetime.combine(day, time.min, tzinfo=clock.SHANGHAI)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


async def build_report(session: AsyncSession, day: date) -> ReconciliationReport:
    """Reconcile one day (reads only)."""
    start, end = day_bounds(day)
    in_day = and_(PaymentAttempt.paid_at >= start, PaymentAttempt.paid_at < end)
    channels: dict[str, ChannelTotals] = {name: ChannelTotals(channel=name) for name in ("wechat", "alipay", "balance")}
    for channel, count, amount in (await session.execute(
        select(PaymentAttempt.channel, func.count(), func.coalesce(func.sum(PaymentAttempt.amount), 0))
        .where(PaymentAttempt.transaction_id.is_not(None), in_day).group_by(PaymentAttempt.channel)
    )).all():
        channels[channel].payments, channels[channel].paid_amount = count, int(amount)
    for channel, count, amount in (await session.execute(
        select(Refund.channel, func.count(), func.coalesce(func.sum(Refund.amount), 0))
        .where(Refund.status == "success", Refund.succeeded_at >= start, Refund.succeeded_at < end)
        .group_by(Refund.channel)
    )).all():
        channels[channel].refunds, channels[channel].refunded_amount = count, int(amount)
    orders_paid, orders_paid_amount = (await session.execute(
        select(func.count(), func.coalesce(func.sum(Order.paid_amount), 0))
        .where(Order.paid_at >= start, Order.paid_at < end)
    )).one()

    mismatches: list[Mismatch] = []
    for row in (await session.execute(
        select(PaymentAttempt.out_trade_no, PaymentAttempt.amount, PaymentAttempt.refunded_amount,
               PaymentAttempt.transaction_id, Order.order_no, Order.payment_ref, Order.status)
        .join(Order, Order.id == PaymentAttempt.order_id)
        .where(PaymentAttempt.transaction_id.is_not(None), in_day,
               Order.payment_ref != PaymentAttempt.transaction_id,
               PaymentAttempt.refunded_amount < PaymentAttempt.amount)
    )).all():
        mismatches.append(Mismatch(
            kind="payment_not_booked", message="支付成功但未入账到订单，且未全额退款",
            order_no=row.order_no, out_trade_no=row.out_trade_no, amount=row.amount - row.refunded_amount,
            details={"order_status": row.status, "transaction_id": row.transaction_id},
        ))
    paid_attempt = (
        select(PaymentAttempt.amount).where(PaymentAttempt.order_id == Order.id,
                                            PaymentAttempt.transaction_id == Order.payment_ref)
        .limit(1).scalar_subquery()
    )
    for row in (await session.execute(
        select(Order.order_no, Order.paid_amount, Order.payment_ref, paid_attempt.label("attempt_amount"))
        .where(Order.paid_at >= start, Order.paid_at < end, Order.payment_ref != "")
    )).all():
        if row.attempt_amount is None or row.attempt_amount != row.paid_amount:
            mismatches.append(Mismatch(
                kind="booked_without_payment", message="订单已记为付款，但找不到金额一致的支付记录",
                order_no=row.order_no, amount=row.paid_amount,
                details={"payment_ref": row.payment_ref, "attempt_amount": row.attempt_amount},
            ))
    for row in (await session.execute(
        select(PaymentAttempt.out_trade_no, PaymentAttempt.amount, TopUp.topup_no)
        .join(TopUp, TopUp.id == PaymentAttempt.topup_id)
        .where(PaymentAttempt.transaction_id.is_not(None), in_day, TopUp.status != "paid")
    )).all():
        mismatches.append(Mismatch(
            kind="topup_not_credited", message="充值已支付但余额未入账", out_trade_no=row.out_trade_no,
            amount=row.amount, details={"topup_no": row.topup_no},
        ))
    stuck_before = min(end, clock.now() - STUCK_AFTER)
    for row in (await session.execute(
        select(Refund.out_refund_no, Refund.amount, Refund.status, Refund.channel, Refund.created_at, Order.order_no)
        .outerjoin(Order, Order.id == Refund.order_id)
        .where(or_(
            and_(Refund.status.in_(("pending", "processing")), Refund.created_at < stuck_before),
            and_(Refund.status == "failed", Refund.created_at >= start, Refund.created_at < end),
        ))
        .order_by(Refund.id)
    )).all():
        failed = row.status == "failed"
        mismatches.append(Mismatch(
            kind="refund_failed" if failed else "refund_stuck",
            message="退款失败，需要人工处理" if failed else "退款超过 1 小时仍未完成",
            order_no=row.order_no or "", out_trade_no=row.out_refund_no, amount=row.amount,
            details={"channel": row.channel, "status": row.status},
        ))
    for order_no, paid_amount in (await session.execute(
        select(Order.order_no, Order.paid_amount).where(Order.refund_required.is_(True))
    )).all():
        mismatches.append(Mismatch(kind="refund_required", message="已取消的已付款订单尚未发起退款",
                                   order_no=order_no, amount=paid_amount))
    for problem in await wallet_service.check_ledger(session):
        mismatches.append(Mismatch(kind="ledger", message=problem.message,
                                   details={"shopper_id": problem.shopper_id, "code": problem.code, **problem.details}))
    await session.rollback()
    return ReconciliationReport(
        day=day, generated_at=clock.now(), orders_paid=orders_paid, orders_paid_amount=int(orders_paid_amount),
        channels=list(channels.values()), mismatches=mismatches,
    )


async def order_payments(session: AsyncSession, order_no: str) -> OrderPaymentsAdminPublic:
    """The order's attempts, refunds and notifications, oldest first (for the console's order page)."""
    order_id = await session.scalar(select(Order.id).where(Order.order_no == order_no))
    if order_id is None:
        raise NotFound("订单不存在")
    attempts = (await session.scalars(
        select(PaymentAttempt).where(PaymentAttempt.order_id == order_id).order_by(PaymentAttempt.id)
    )).all()
    refunds = (await session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id))).all()
    trade_nos = [attempt.out_trade_no for attempt in attempts]
    notifications = (await session.scalars(
        select(PaymentNotification).where(PaymentNotification.out_trade_no.in_(trade_nos))
        .order_by(PaymentNotification.id).limit(200)
    )).all() if trade_nos else []
    answer = OrderPaymentsAdminPublic(
        order_no=order_no,
        attempts=[PaymentAttemptAdminPublic.model_validate(a) for a in attempts],
        refunds=[RefundAdminPublic.model_validate(r) for r in refunds],
        notifications=[NotificationAdminPublic.model_validate(n) for n in notifications],
    )
    await session.rollback()
    return answer


async def reconcile_order(session: AsyncSession, gateways: Gateways, order_no: str) -> ReconcileOrderPublic:
    """Staff's "query the gateway" button: ask every enabled channel with an unpaid attempt; commits what
    it applies (a payment found for a cancelled order is refunded automatically, as for a notification)."""
    from qingmall.payments import alipay, wechat

    order_id = await session.scalar(select(Order.id).where(Order.order_no == order_no))
    if order_id is None:
        raise NotFound("订单不存在")
    channels = set(await session.scalars(
        select(PaymentAttempt.channel).where(PaymentAttempt.order_id == order_id,
                                             PaymentAttempt.status.in_(("created", "closed")))
    ))
    await session.rollback()
    outcomes: dict[str, str] = {}
    if "wechat" in channels and gateways.wechatpay is not None:
        outcomes["wechat"] = (await wechat.reconcile_wechat_payment(session, gateways, order_id)).outcome
    if "alipay" in channels and gateways.alipay is not None:
        outcomes["alipay"] = (await alipay.reconcile_alipay_payment(session, gateways, order_id)).outcome
    return ReconcileOrderPublic(order_no=order_no, outcomes=outcomes)
