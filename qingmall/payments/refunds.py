"""Refunds through the channel that took the money: WeChat Pay, Alipay, or back to the balance.

A refund is first *recorded* (``pending``), inside the transaction that decided it (a payment the order
could not take, or an approved after-sale), and only then *requested* at the gateway, after commit. The
recording raises the attempt's ``refunded_amount`` with one conditional UPDATE (``refunded_amount + :a <=
amount``), so concurrent refunds can never give back more than was paid. ``out_refund_no`` is
``<out_trade_no>R<n>`` and reused on retry (both gateways dedupe on it). A refund ends ``success`` or
``failed``; settling it tells the after-sale that asked for it (``aftersales.service.on_refund_settled``) in
the same transaction. Balance refunds are credited at once (no gateway).
"""

from __future__ import annotations

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.errors import Conflict, NotFound
from qingmall.integrations.alipay import AlipayError, AlipayGatewayError
from qingmall.integrations.wechatpay import WeChatPayError, WeChatPayGatewayError
from qingmall.orders.models import Order
from qingmall.payments.gateways import Gateways
from qingmall.payments.models import PaymentAttempt, Refund

log = structlog.get_logger("qingmall.payments.refunds")

WECHAT_STATUSES = {"SUCCESS": "success", "PROCESSING": "processing", "CLOSED": "failed", "ABNORMAL": "failed"}
FINISHED = ("success", "failed")
# WeChat Pay refusals that the same request can never get past (others, e.g. SYSTEM_ERROR or NOT_ENOUGH, a
# merchant account short of funds, are retried with the same out_refund_no).
WECHAT_FINAL_REFUSALS = frozenset({"INVALID_REQUEST", "PARAM_ERROR", "RESOURCE_NOT_EXISTS", "USER_ACCOUNT_ABNORMAL"})


def out_refund_no_for(out_trade_no: str, refund_number: int) -> str:
    return f"{out_trade_no}R{refund_number}"


async def _add_refund(
    session: AsyncSession, attempt: PaymentAttempt, amount: int, *, reason: str, after_sale_id: int | None,
    channel: str | None = None,
) -> Refund:
    """Raise the attempt's refunded amount (conditionally) and add the refund row, through ``channel`` (the
    attempt's own unless the merchant sends it to the balance). Does not commit."""
    channel = channel or attempt.channel
    raised = await session.execute(
        update(PaymentAttempt)
        .where(PaymentAttempt.id == attempt.id, PaymentAttempt.status.in_(("paid", "refunding")),
               PaymentAttempt.refunded_amount + amount <= PaymentAttempt.amount)
        .values(refunded_amount=PaymentAttempt.refunded_amount + amount)
        .execution_options(synchronize_session=False)
    )
    if raised.rowcount != 1:
        raise Conflict("退款金额超过可退金额", code="refund_exceeds_paid")
    # counted after the UPDATE: a concurrent refund of the same attempt has committed (row lock / write lock)
    number = (await session.scalar(select(func.count()).where(Refund.attempt_id == attempt.id)) or 0) + 1
    refund = Refund(
        attempt_id=attempt.id, order_id=attempt.order_id, after_sale_id=after_sale_id, channel=channel,
        out_refund_no=out_refund_no_for(attempt.out_trade_no, number), amount=amount, reason=reason[:80],
        status="pending", created_at=clock.now(),
    )
    session.add(refund)
    await session.flush()
    if channel == "balance":
        await _credit_balance(session, attempt, refund)
    return refund


async def _credit_balance(session: AsyncSession, attempt: PaymentAttempt, refund: Refund) -> None:
    from qingmall.wallet import service as wallet_service

    payer_id = attempt.payer_shopper_id
    if payer_id is None:
        payer_id = await session.scalar(select(Order.shopper_id).where(Order.id == attempt.order_id))
    await wallet_service.credit(
        session, payer_id, refund.amount, reason="refund", ref_type="refund", ref_id=refund.out_refund_no,
        note=refund.reason,
    )
    await settle_refund(session, refund.id, succeeded=True, refund_id=refund.out_refund_no)


async def record_full_refund(session: AsyncSession, attempt_id: int, *, reason: str) -> Refund:
    """Refund everything an attempt took (a payment its order could not accept). Does not commit."""
    attempt = await session.get(PaymentAttempt, attempt_id, populate_existing=True)
    if attempt is None:
        raise NotFound("支付单不存在")
    refund = await _add_refund(session, attempt, attempt.amount - attempt.refunded_amount, reason=reason,
                               after_sale_id=None)
    await session.execute(
        update(PaymentAttempt).where(PaymentAttempt.id == attempt_id, PaymentAttempt.status == "paid")
        .values(status="refunding").execution_options(synchronize_session=False)
    )
    return refund


async def record_order_refund(
    session: AsyncSession, order_id: int, amount: int, *, reason: str, after_sale_id: int | None,
    to_balance: bool = False,
) -> Refund:
    """Record a refund of ``amount`` fen of an order's payment (the attempt that paid it). Does not commit.

    The money goes back through the channel that took it, or to the payer's balance when ``to_balance``
    (the merchant's choice, e.g. when the original channel refuses). Raises 409 ``refund_exceeds_paid`` when
    the payment has less left to refund, ``not_paid`` when the order has no payment. A balance refund is
    credited and settled at once; gateway refunds are sent by ``send_pending_refunds`` after the caller commits.
    """
    if amount <= 0:
        raise Conflict("退款金额必须大于 0", code="invalid_refund_amount")
    payment_ref = await session.scalar(select(Order.payment_ref).where(Order.id == order_id))
    if not payment_ref:
        raise Conflict("订单没有可退的支付", code="not_paid")
    attempt = await session.scalar(
        select(PaymentAttempt).where(PaymentAttempt.order_id == order_id,
                                     PaymentAttempt.transaction_id == payment_ref)
        .execution_options(populate_existing=True)
    )
    if attempt is None:
        raise Conflict("订单没有可退的支付", code="not_paid")
    return await _add_refund(session, attempt, amount, reason=reason, after_sale_id=after_sale_id,
                             channel="balance" if to_balance else None)


async def settle_refund(
    session: AsyncSession, refund_row_id: int, *, succeeded: bool, refund_id: str = ""
) -> bool:
    """Move an unfinished refund to ``success`` / ``failed`` once; the winner updates the attempt and tells
    the after-sale. A failed refund gives its amount back to the attempt's refundable amount (it can be
    retried as a new refund). Does not commit. Returns whether this call settled it."""
    values: dict[str, object] = {"status": "success" if succeeded else "failed"}
    if succeeded:
        values["succeeded_at"] = clock.now()
    if refund_id:
        values["refund_id"] = refund_id[:64]
    moved = await session.execute(
        update(Refund).where(Refund.id == refund_row_id, Refund.status.not_in(FINISHED)).values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    row = (await session.execute(
        select(Refund.attempt_id, Refund.amount, Refund.after_sale_id).where(Refund.id == refund_row_id)
    )).one()
    if succeeded:
        await session.execute(
            update(PaymentAttempt)
            .where(PaymentAttempt.id == row.attempt_id, PaymentAttempt.refunded_amount == PaymentAttempt.amount,
                   ~select(Refund.id).where(Refund.attempt_id == row.attempt_id,
                                            Refund.status.not_in(FINISHED)).exists())
            .values(status="refunded").execution_options(synchronize_session=False)
        )
    else:
        await session.execute(
            update(PaymentAttempt).where(PaymentAttempt.id == row.attempt_id)
            .values(refunded_amount=PaymentAttempt.refunded_amount - row.amount)
            .execution_options(synchronize_session=False)
        )
    if row.after_sale_id is not None:
        from qingmall.aftersales import service as aftersales_service

        await aftersales_service.on_refund_settled(session, row.after_sale_id, succeeded=succeeded)
    return True


async def send_pending_refunds(
    session: AsyncSession, gateways: Gateways, *, attempt_id: int | None = None, order_id: int | None = None
) -> None:
    """Request every ``pending`` refund of an attempt (or of an order) at its gateway; commits each answer.

    A failure to reach the gateway leaves the refund ``pending`` (the retry job and the next duplicate
    notification send it again, with the same ``out_refund_no``).
    """
    query = (
        select(Refund.id, Refund.channel, Refund.out_refund_no, Refund.amount, Refund.reason,
               PaymentAttempt.out_trade_no, PaymentAttempt.amount.label("total"))
        .join(PaymentAttempt, PaymentAttempt.id == Refund.attempt_id)
        .where(Refund.status == "pending", Refund.channel != "balance")
        .order_by(Refund.id)
    )
    if attempt_id is not None:
        query = query.where(Refund.attempt_id == attempt_id)
    if order_id is not None:
        query = query.where(Refund.order_id == order_id)
    rows = (await session.execute(query)).all()
    await session.rollback()
    for row in rows:
        if row.channel == "wechat":
            await _send_wechat(session, gateways, row)
        elif row.channel == "alipay":
            await _send_alipay(session, gateways, row)


async def _send_wechat(session: AsyncSession, gateways: Gateways, row) -> None:
    if gateways.wechatpay is None:
        log.error("wechatpay_refund_channel_disabled", out_refund_no=row.out_refund_no)
        return
    try:
        answer = await gateways.wechatpay.refund(
            out_refund_no=row.out_refund_no, refund=row.amount, total=row.total, out_trade_no=row.out_trade_no,
            reason=row.reason or None, notify_url=gateways.notify_url("wechat", refund=True),
        )
    except WeChatPayGatewayError as exc:
        log.error("wechatpay_refund_not_accepted", out_refund_no=row.out_refund_no, error=str(exc))
        if exc.code in WECHAT_FINAL_REFUSALS:
            await settle_refund(session, row.id, succeeded=False)
            await session.commit()
        return
    except WeChatPayError as exc:
        log.error("wechatpay_refund_not_accepted", out_refund_no=row.out_refund_no, error=str(exc))
        return
    status = WECHAT_STATUSES.get(answer.status, "processing")
    if status in FINISHED:
        await settle_refund(session, row.id, succeeded=status == "success", refund_id=answer.refund_id)
    else:
        await session.execute(
            update(Refund).where(Refund.id == row.id, Refund.status == "pending")
            .values(status="processing", refund_id=answer.refund_id[:64])
        )
    await session.commit()


async def _send_alipay(session: AsyncSession, gateways: Gateways, row) -> None:
    """Alipay answers a refund synchronously: ``fund_change`` Y, or N on a repeated ``out_request_no``
    whose refund was already made; either way the money went back."""
    if gateways.alipay is None:
        log.error("alipay_refund_channel_disabled", out_refund_no=row.out_refund_no)
        return
    try:
        answer = await gateways.alipay.refund_trade(
            refund_amount=row.amount, out_request_no=row.out_refund_no, out_trade_no=row.out_trade_no,
            refund_reason=row.reason or None,
        )
    except AlipayError as exc:
        log.error("alipay_refund_not_accepted", out_refund_no=row.out_refund_no, error=str(exc))
        if isinstance(exc, AlipayGatewayError) and not exc.retryable:
            # a business refusal (trade state, amount): resending the same request cannot succeed
            await settle_refund(session, row.id, succeeded=False)
            await session.commit()
        return
    await settle_refund(session, row.id, succeeded=True, refund_id=answer.trade_no)
    await session.commit()


async def refund_cancelled_order(session: AsyncSession, gateways: Gateways, order_id: int) -> bool:
    """Refund in full a paid order the merchant cancelled (``refund_required``), once; commits, then sends.

    Only the caller that clears the flag records the refund, so the admin route and the sweep can both
    try. Returns whether this call recorded it."""
    from qingmall.orders import service as orders_service

    if not await orders_service.claim_refund_required(session, order_id):
        await session.rollback()
        return False
    payment_ref = await session.scalar(select(Order.payment_ref).where(Order.id == order_id))
    attempt_id = await session.scalar(
        select(PaymentAttempt.id).where(PaymentAttempt.order_id == order_id,
                                        PaymentAttempt.transaction_id == payment_ref)
    )
    if attempt_id is None:
        log.error("refund_required_without_payment", order_id=order_id)
        await session.rollback()
        return False
    await record_full_refund(session, attempt_id, reason="商家取消已付款订单，全额退款")
    await session.commit()
    await send_pending_refunds(session, gateways, attempt_id=attempt_id)
    return True


async def refund_cancelled_orders(session: AsyncSession, gateways: Gateways, limit: int = 200) -> int:
    """The sweep's half of ``refund_cancelled_order``: every order still flagged ``refund_required``."""
    order_ids = list(await session.scalars(
        select(Order.id).where(Order.refund_required.is_(True)).order_by(Order.id).limit(limit)
    ))
    await session.rollback()
    done = 0
    for order_id in order_ids:
        try:
            done += await refund_cancelled_order(session, gateways, order_id)
        except Exception:
            log.exception("refund_cancelled_order_failed", order_id=order_id)
            await session.rollback()
    return done
