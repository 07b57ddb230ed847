"""WeChat Pay refunds of payments that could not be applied to their order.

A refund is recorded (``pending``) inside the transaction that refused the payment, and only then requested
at the gateway, after commit; ``out_refund_no`` is derived from the attempt so a retry is deduplicated by
the gateway and a payment is never lost between the two steps.
"""

from __future__ import annotations

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.integrations.wechatpay import Transaction, WeChatPayClient, WeChatPayError
from qingmall.payments.models import PaymentAttempt, Refund

log = structlog.get_logger("qingmall.payments.refunds")


def out_refund_no_for(out_trade_no: str, refund_number: int = 1) -> str:
    return f"{out_trade_no}R{refund_number}"


async def record_refund(session: AsyncSession, attempt_id: int, transaction: Transaction, *, reason: str) -> None:
    """Mark the attempt refunding and add the full refund row; does not commit (part of applying)."""
    await session.execute(
        update(PaymentAttempt).where(PaymentAttempt.id == attempt_id).values(status="refunding")
        .execution_options(synchronize_session=False)
    )
    session.add(
        Refund(
            attempt_id=attempt_id, out_refund_no=out_refund_no_for(transaction.out_trade_no),
            amount=transaction.total, reason=reason[:80], status="pending", created_at=clock.now(),
        )
    )


_REFUND_STATUSES = {"SUCCESS": "success", "PROCESSING": "processing", "CLOSED": "failed", "ABNORMAL": "failed"}


async def send_pending_refunds(session: AsyncSession, client: WeChatPayClient, attempt_id: int) -> None:
    """Request every ``pending`` refund of the attempt at the gateway; commits each answer.

    A failure leaves the refund ``pending`` (``out_refund_no`` is reused on retry, the gateway dedupes on
    it), so the next duplicate notification or a retry job sends it again.
    """
    rows = (
        await session.execute(
            select(Refund.id, Refund.out_refund_no, Refund.amount, Refund.reason, PaymentAttempt.out_trade_no,
                   PaymentAttempt.amount.label("total"))
            .join(PaymentAttempt, PaymentAttempt.id == Refund.attempt_id)
            .where(Refund.attempt_id == attempt_id, Refund.status == "pending")
        )
    ).all()
    await session.rollback()
    for row in rows:
        try:
            answer = await client.refund(
                out_refund_no=row.out_refund_no, refund=row.amount, total=row.total,
                out_trade_no=row.out_trade_no, reason=row.reason or None,
            )
        except WeChatPayError as exc:
            log.error("wechatpay_refund_not_accepted", out_refund_no=row.out_refund_no, error=str(exc))
            continue
        await session.execute(
            update(Refund).where(Refund.id == row.id, Refund.status == "pending")
            .values(status=_REFUND_STATUSES.get(answer.status, "processing"), refund_id=answer.refund_id[:64])
        )
        if answer.status == "SUCCESS":
            await session.execute(
                update(PaymentAttempt).where(PaymentAttempt.id == attempt_id, PaymentAttempt.status == "refunding")
                .values(status="refunded")
            )
        await session.commit()
