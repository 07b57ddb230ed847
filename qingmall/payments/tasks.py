"""Payment jobs: ask the gateways before an unpaid order is cancelled, and retry refunds that are stuck.

Both repair what a lost notification or a failed call left behind; the database stays the record and
every step is idempotent (settling is keyed on ``transaction_id``, refunds on ``out_refund_no``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.errors import UpstreamError
from qingmall.integrations.wechatpay import WeChatPayError
from qingmall.orders.models import Order
from qingmall.payments import alipay, refunds, wechat
from qingmall.payments.gateways import Gateways
from qingmall.payments.models import PaymentAttempt, Refund
from qingmall.payments.service import APPLIED, DUPLICATE
from qingmall.settings import get_settings

log = structlog.get_logger("qingmall.payments.tasks")
T = TypeVar("T")

# How long past the deadline an order waits for a gateway that cannot be asked before it is cancelled
# anyway (a payment that lands later is refunded automatically, never lost).
UNREACHABLE_GRACE = timedelta(hours=1)
REFUND_RETRY_AFTER = timedelta(minutes=1)
REFUND_QUERY_AFTER = timedelta(minutes=10)
_RECONCILERS = {"wechat": wechat.reconcile_wechat_payment, "alipay": alipay.reconcile_alipay_payment}


async def with_gateways(work: Callable[[Gateways], Awaitable[T]]) -> T:
    """Run ``work`` with the gateways of this process's settings (for jobs, which have no app)."""
    from qingmall.payments.setup import build_payment_setup

    gateways = build_payment_setup(get_settings()).gateways
    try:
        return await work(gateways)
    finally:
        await gateways.aclose()


async def reconcile_before_cancel(session: AsyncSession, gateways: Gateways, order_id: int) -> bool:
    """Query the gateways for an overdue order's unpaid attempts and apply a payment found there.

    Answers True ("do not cancel now") when the order turned out paid, or when a gateway could not be
    asked and the deadline passed less than ``UNREACHABLE_GRACE`` ago (the next sweep asks again).
    """
    row = (await session.execute(select(Order.pay_deadline).where(Order.id == order_id))).one_or_none()
    channels = set(
        await session.scalars(
            select(PaymentAttempt.channel).where(PaymentAttempt.order_id == order_id,
                                                 PaymentAttempt.status.in_(("created", "closed")))
        )
    )
    await session.rollback()
    if row is None:
        return True
    for channel in sorted(channels & set(_RECONCILERS)):
        if (channel == "wechat" and gateways.wechatpay is None) or (channel == "alipay" and gateways.alipay is None):
            continue
        try:
            result = await _RECONCILERS[channel](session, gateways, order_id)
        except UpstreamError:
            if row.pay_deadline is not None and clock.now() - row.pay_deadline < UNREACHABLE_GRACE:
                log.warning("reconcile_before_cancel_postponed", order_id=order_id, channel=channel)
                return True
            log.error("reconcile_before_cancel_gave_up", order_id=order_id, channel=channel)
            continue
        if result.outcome in (APPLIED, DUPLICATE):
            log.info("payment_found_before_cancel", order_id=order_id, channel=channel)
            return True
    return False


async def retry_refunds(session: AsyncSession, gateways: Gateways) -> int:
    """Send refunds still ``pending`` a minute after they were recorded, and ask WeChat Pay about refunds
    ``processing`` for ten minutes (a refund notification may have been lost); returns refunds touched."""
    now = clock.now()
    pending = list(await session.scalars(
        select(Refund.attempt_id).where(Refund.status == "pending", Refund.channel != "balance",
                                        Refund.created_at <= now - REFUND_RETRY_AFTER).distinct()
    ))
    processing = (await session.execute(
        select(Refund.id, Refund.out_refund_no).where(Refund.status == "processing", Refund.channel == "wechat",
                                                      Refund.created_at <= now - REFUND_QUERY_AFTER)
        .order_by(Refund.id).limit(200)
    )).all()
    await session.rollback()
    for attempt_id in pending:
        await refunds.send_pending_refunds(session, gateways, attempt_id=attempt_id)
    if gateways.wechatpay is not None:
        for row in processing:
            try:
                answer = await gateways.wechatpay.query_refund(row.out_refund_no)
            except WeChatPayError as exc:
                log.warning("wechatpay_refund_query_failed", out_refund_no=row.out_refund_no, error=str(exc))
                continue
            status = refunds.WECHAT_STATUSES.get(answer.status, "processing")
            if status in refunds.FINISHED:
                await refunds.settle_refund(session, row.id, succeeded=status == "success", refund_id=answer.refund_id)
                await session.commit()
    return len(pending) + len(processing)
