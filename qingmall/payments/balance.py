"""Paying an order (or a friend's order) from stored value: debit, attempt and order change in ONE commit.

There is no gateway: the debit entry is the payment and ``BAL<entry id>`` its transaction id. The debit is
one conditional UPDATE of the payer's account (``insufficient_balance`` when short) and the order's
``mark_paid`` runs in the same transaction, so either everything happens or nothing does. Two racing
taps collide on the ledger's unique (order_payment, order, order_no) key or the attempt's unique
``transaction_id``: one pays, the other is told the order is already paid.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.errors import Conflict
from qingmall.orders import queries as order_queries
from qingmall.orders import service as orders_service
from qingmall.orders.schemas import OrderActionPublic
from qingmall.orders.service import TransitionResult
from qingmall.payments import service
from qingmall.payments.models import PaymentAttempt
from qingmall.shop import service as shop_service
from qingmall.wallet import service as wallet_service

BALANCE = "balance"


async def pay_order_with_balance(
    session: AsyncSession, order_no: str, *, payer_id: int, owner_id: int | None = None
) -> TransitionResult:
    """Pay a pending order from ``payer_id``'s balance; commits. ``owner_id`` restricts the order to its
    shopper (``None`` when a friend pays by link)."""
    await shop_service.require_payment_channel(session, BALANCE)
    order = await service.payable_order(session, order_no, shopper_id=owner_id)
    out_trade_no = await service.next_out_trade_no(session, BALANCE, order_id=order.id, base_no=order.order_no)
    try:
        entry = await wallet_service.debit(
            session, payer_id, order.payable_amount, reason="order_payment", ref_type="order", ref_id=order.order_no,
            note=f"订单 {order.order_no}",
        )
        transaction_id = f"BAL{entry.id}"
        async with session.begin_nested():
            session.add(
                PaymentAttempt(
                    order_id=order.id, channel=BALANCE, out_trade_no=out_trade_no, amount=order.payable_amount,
                    appid="", mchid="", payer_shopper_id=payer_id, status="paid", transaction_id=transaction_id,
                    paid_at=clock.now(),
                )
            )
    except IntegrityError:
        await session.rollback()
        raise Conflict("订单已支付", code="order_already_paid") from None
    except Conflict as exc:
        if exc.code != "ledger_entry_mismatch":  # another payer's balance paid this order first
            raise
        await session.rollback()
        raise Conflict("订单已支付", code="order_already_paid") from None
    try:
        return await orders_service.mark_paid(
            session, order.id, paid_amount=order.payable_amount, payment_ref=transaction_id
        )
    except Conflict:
        await session.rollback()
        raise


async def pay_own_order_with_balance(session: AsyncSession, shopper_id: int, order_no: str) -> OrderActionPublic:
    """The shopper pays their own order from their balance; answers the order as they see it."""
    result = await pay_order_with_balance(session, order_no, payer_id=shopper_id, owner_id=shopper_id)
    return OrderActionPublic(already=result.already, order=await order_queries.order_detail(session, result.order_id))
