"""Order state changes: pay, cancel, ship, complete, and the sweeps that repair lost timer jobs.

Every change goes through ``_transition``: it reads the current status, asks ``states.resolve`` where the
action leads, and applies it as ONE conditional UPDATE (``WHERE id = :id AND status = :from``) whose row
count decides who won a race. The loser re-reads and either sees the result of the same action (a no-op,
``already=True``) or gets a 409 naming the new state. Side effects that must happen exactly once (stock
released on cancel, sales recorded on payment and taken back when a paid order is cancelled) run only in
the transaction that won the UPDATE.

Public functions commit once at their end; ``_transition`` and ``_cancel`` do not, nor do the after-sale
functions (``open_after_sale``, ``record_refunded_units``, ``close_after_sale``), which join the
transaction of the after-sales area that calls them. The sweeps are a
batch of independent units of work: each order is cancelled or completed in its own transaction, and an
order that fails for any reason is logged, rolled back and passed over, so it never holds back the rest.
A sweep walks the due orders by id (keyset pages of ``SWEEP_BATCH`` after the last id seen) and examines
at most ``SWEEP_MAX_ORDERS`` per call, so it always ends; what is left waits for the next run. Timer jobs
are scheduled only after the commit, and failing to schedule one never fails the request (the sweep
finds the order anyway).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall import jobs
from qingmall.core import clock
from qingmall.core.errors import Conflict, NotFound
from qingmall.inventory import service as inventory
from qingmall.orders import queries, states
from qingmall.orders.models import Order, OrderEvent, OrderLine
from qingmall.orders.schemas import OrderActionPublic, OrderAdminActionPublic, OrderShip
from qingmall.shop import service as shop_service

log = structlog.get_logger("qingmall.orders")

_ATTEMPTS = 5
SWEEP_BATCH = 200  # due orders read per query
SWEEP_MAX_ORDERS = 2000  # due orders examined per sweep call; the rest wait for the next run


@dataclass(frozen=True)
class Actor:
    """Who acts: ``shopper`` / ``staff`` (with their id) or ``system`` (timers, payment callbacks)."""

    type: str
    id: int | None = None


SYSTEM = Actor(states.SYSTEM)


@dataclass(frozen=True)
class TransitionResult:
    order_id: int
    order_no: str
    from_status: str
    to_status: str
    already: bool


async def _transition(
    session: AsyncSession,
    order_id: int,
    action: str,
    actor: Actor,
    *,
    note: str = "",
    values: dict[str, Any] | Callable[[str], dict[str, Any]] | None = None,
) -> TransitionResult:
    """Apply ``action`` with a conditional UPDATE and write the timeline event. Does not commit.

    ``values`` are the other columns to set; a callable receives the status being left (a cancel of a paid
    order sets more than a cancel of an unpaid one, and which one it is is only known inside the loop).
    """
    for _ in range(_ATTEMPTS):
        row = (await session.execute(select(Order.status, Order.order_no).where(Order.id == order_id))).one_or_none()
        if row is None:
            raise NotFound("订单不存在")
        target = states.resolve(row.status, action, actor.type)
        if target is None:
            return TransitionResult(order_id, row.order_no, row.status, row.status, already=True)
        now = clock.now()
        extra = values(row.status) if callable(values) else (values or {})
        result = await session.execute(
            update(Order)
            .where(Order.id == order_id, Order.status == row.status)
            .values(status=target, updated_at=now, **extra)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            session.add(
                OrderEvent(
                    order_id=order_id,
                    event=states.ACTION_EVENTS[action],
                    from_status=row.status,
                    to_status=target,
                    actor_type=actor.type,
                    actor_id=actor.id,
                    note=note[:255],
                    created_at=now,
                )
            )
            return TransitionResult(order_id, row.order_no, row.status, target, already=False)
    raise Conflict("订单状态正在变化，请稍后重试", code="order_busy")


async def _line_quantities(session: AsyncSession, order_id: int) -> list[tuple[int, int]]:
    rows = await session.execute(select(OrderLine.sku_id, OrderLine.quantity).where(OrderLine.order_id == order_id))
    return [(sku_id, quantity) for sku_id, quantity in rows.all()]


async def _cancel(session: AsyncSession, order_id: int, actor: Actor, reason: str) -> TransitionResult:
    """Cancel and give the stock back, once: only the transaction that wins the UPDATE releases. No commit.

    A paid order (merchant cancel before shipping) is marked ``refund_required``; its goods never left,
    so its stock is released too, and the units ``mark_paid`` counted as sold are taken back
    (``inventory.revoke_sales``), so sales counts only ever include orders that stay paid.
    """
    now = clock.now()

    def values(from_status: str) -> dict[str, Any]:
        return {
            "cancel_reason": reason[:200],
            "cancelled_by": actor.type,
            "cancelled_at": now,
            "refund_required": from_status == states.PAID,
        }

    result = await _transition(session, order_id, states.CANCEL, actor, note=reason, values=values)
    if not result.already:
        lines = await _line_quantities(session, order_id)
        await inventory.release_stock(session, lines, ref_type="order", ref_id=result.order_no)
        if result.from_status in states.PAID_STATUSES:
            await inventory.revoke_sales(session, lines)
    return result


async def cancel_order(session: AsyncSession, order_id: int, *, actor: Actor, reason: str = "") -> TransitionResult:
    """Cancel an order (shopper or timer before payment; merchant before shipping); commits."""
    result = await _cancel(session, order_id, actor, reason)
    await session.commit()
    return result


def _was_paid(status: str, payment_ref: str, paid_at: datetime | None) -> bool:
    """Whether an order has ever been paid: a paid-and-later status, or a payment on record (a paid order
    the merchant cancelled keeps its ``paid_at`` and ``payment_ref``)."""
    return status in states.PAID_STATUSES or bool(payment_ref) or paid_at is not None


def _already_paid(order_no: str, status: str, payment_ref: str) -> Conflict:
    return Conflict(
        f"订单 {order_no} 已由另一笔支付完成，本次支付需退回",
        code="order_already_paid",
        details={"payment_ref": payment_ref, "status": status},
    )


async def mark_paid(session: AsyncSession, order_id: int, *, paid_amount: int, payment_ref: str) -> TransitionResult:
    """Record a successful payment (for the payments area); commits.

    Answers, in this order:

    - the same ``payment_ref`` as the one that paid the order: a no-op (``already=True``), whatever the
      order's status now (a repeated callback);
    - any other reference for an order that was already paid (status paid, shipped, completed, refunding or
      refunded, or cancelled after payment, i.e. ``paid_at`` / ``payment_ref`` set): 409
      ``order_already_paid`` with ``details {"payment_ref", "status"}``, so the payments area refunds the
      duplicate payment;
    - ``paid_amount`` other than ``payable_amount``: 409 ``amount_mismatch``;
    - an order cancelled before it was paid: 409 ``invalid_order_state`` (the payment must be refunded too,
      but it is not a duplicate).

    Sales counts are recorded once, by the transaction that wins the UPDATE.
    """
    row = (
        await session.execute(
            select(Order.order_no, Order.status, Order.payable_amount, Order.payment_ref, Order.paid_at)
            .where(Order.id == order_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("订单不存在")
    if row.payment_ref and row.payment_ref == payment_ref:
        return TransitionResult(order_id, row.order_no, row.status, row.status, already=True)
    if _was_paid(row.status, row.payment_ref, row.paid_at):
        raise _already_paid(row.order_no, row.status, row.payment_ref)
    if paid_amount != row.payable_amount:
        raise Conflict(
            "支付金额与订单应付金额不一致",
            code="amount_mismatch",
            details={"payable_amount": row.payable_amount, "paid_amount": paid_amount},
        )
    try:
        result = await _transition(
            session, order_id, states.PAY, SYSTEM, note=f"支付单号 {payment_ref}",
            values={"paid_amount": paid_amount, "payment_ref": payment_ref, "paid_at": clock.now()},
        )
    except states.InvalidOrderState:
        # Lost a race: another payment won and the order moved on (or it was cancelled) meanwhile.
        await _raise_if_paid_by_another(session, order_id, payment_ref)
        raise
    if result.already:
        await _raise_if_paid_by_another(session, order_id, payment_ref)
        return result
    await inventory.record_sales(session, await _line_quantities(session, order_id))
    await session.commit()
    return result


async def _raise_if_paid_by_another(session: AsyncSession, order_id: int, payment_ref: str) -> None:
    current = (
        await session.execute(
            select(Order.order_no, Order.status, Order.payment_ref, Order.paid_at).where(Order.id == order_id)
        )
    ).one()
    if current.payment_ref != payment_ref and _was_paid(current.status, current.payment_ref, current.paid_at):
        raise _already_paid(current.order_no, current.status, current.payment_ref)


async def ship_order(
    session: AsyncSession, order_id: int, *, staff_id: int | None, data: OrderShip
) -> TransitionResult:
    """Mark a paid order shipped with its waybill; commits, then schedules auto-completion.

    Shipping again with the same waybill is a no-op; with a different one it is 409 ``already_shipped``.
    """
    now = clock.now()
    auto_complete_at = now + timedelta(days=await shop_service.auto_complete_days(session))
    result = await _transition(
        session, order_id, states.SHIP, Actor(states.STAFF, staff_id),
        note=f"{data.carrier_name} {data.tracking_no}",
        values={
            "carrier_code": data.carrier_code, "carrier_name": data.carrier_name, "tracking_no": data.tracking_no,
            "shipped_at": now, "auto_complete_at": auto_complete_at,
        },
    )
    if result.already:
        current = await session.scalar(select(Order.tracking_no).where(Order.id == order_id))
        if current != data.tracking_no:
            raise Conflict(f"订单已发货（运单号 {current}）", code="already_shipped", details={"tracking_no": current})
        return result
    await session.commit()
    jobs.schedule_order_completion(order_id, auto_complete_at)
    return result


async def complete_order(session: AsyncSession, order_id: int, *, actor: Actor, note: str = "") -> TransitionResult:
    """Shipped -> completed (the shopper confirms receipt, or the timer does); commits."""
    result = await _transition(
        session, order_id, states.COMPLETE, actor, note=note, values={"completed_at": clock.now()}
    )
    await session.commit()
    return result


# ---- timers and sweeps --------------------------------------------------------------------------------

BeforeCancel = Callable[[AsyncSession, int], Awaitable[bool]]


async def cancel_unpaid_order(
    session: AsyncSession, order_id: int, *, now: datetime | None = None, before_cancel: BeforeCancel | None = None
) -> bool:
    """The timer job: cancel the order if it is still unpaid past its deadline; True if this call did it.

    ``before_cancel(session, order_id)`` runs first, outside any transaction (the payments area asks the
    gateways whether a payment whose notification never came exists, and applies it); answering True
    means "leave this order alone". A lost race (409) is False; any other error propagates (the sweep
    logs it and moves on)."""
    now = now or clock.now()
    row = (
        await session.execute(select(Order.status, Order.pay_deadline).where(Order.id == order_id))
    ).one_or_none()
    if row is None or row.status != states.PENDING_PAYMENT or row.pay_deadline is None or row.pay_deadline > now:
        await session.rollback()
        return False
    if before_cancel is not None:
        await session.rollback()
        if await before_cancel(session, order_id):
            return False
    try:
        result = await _cancel(session, order_id, SYSTEM, "超时未支付，系统自动取消")
    except Conflict:
        await session.rollback()
        return False
    await session.commit()
    return not result.already


async def complete_shipped_order(session: AsyncSession, order_id: int, *, now: datetime | None = None) -> bool:
    """The timer job: complete the order if it is still shipped past ``auto_complete_at``; True if done here.

    A lost race (409) is False; any other error propagates (the sweep logs it and moves on)."""
    now = now or clock.now()
    row = (
        await session.execute(select(Order.status, Order.auto_complete_at).where(Order.id == order_id))
    ).one_or_none()
    if row is None or row.status != states.SHIPPED or row.auto_complete_at is None or row.auto_complete_at > now:
        await session.rollback()
        return False
    try:
        result = await _transition(
            session, order_id, states.COMPLETE, SYSTEM, note="超时未确认收货，系统自动确认",
            values={"completed_at": now},
        )
    except Conflict:
        await session.rollback()
        return False
    await session.commit()
    return not result.already


async def _due(session: AsyncSession, status: str, column: Any, now: datetime, after_id: int, limit: int) -> list[int]:
    """Ids of orders in ``status`` whose ``column`` is due, after ``after_id`` in id order (a keyset page)."""
    ids = list(
        (
            await session.scalars(
                select(Order.id)
                .where(Order.status == status, column <= now, Order.id > after_id)
                .order_by(Order.id)
                .limit(limit)
            )
        ).all()
    )
    await session.rollback()
    return ids


async def _sweep(
    session: AsyncSession,
    name: str,
    status: str,
    column: Any,
    now: datetime,
    handle: Callable[[AsyncSession, int], Awaitable[bool]],
) -> int:
    """Run ``handle`` on each due order, one transaction each, walking ids upwards; returns how many it did.

    Every order is examined at most once per call and at most ``SWEEP_MAX_ORDERS`` are examined, so the
    loop always ends, however many orders fail. A failing order is rolled back, logged and skipped.
    """
    done = examined = 0
    after_id = 0
    while examined < SWEEP_MAX_ORDERS:
        limit = min(SWEEP_BATCH, SWEEP_MAX_ORDERS - examined)
        ids = await _due(session, status, column, now, after_id, limit)
        for order_id in ids:
            try:
                done += await handle(session, order_id)
            except Exception:
                log.exception("order_sweep_failed", sweep=name, order_id=order_id)
                with contextlib.suppress(Exception):
                    await session.rollback()
        examined += len(ids)
        if len(ids) < limit:
            break
        after_id = ids[-1]
    return done


async def cancel_expired_orders(
    session: AsyncSession, now: datetime | None = None, *, before_cancel: BeforeCancel | None = None
) -> int:
    """Cancel unpaid orders past their pay deadline (one transaction each, at most ``SWEEP_MAX_ORDERS``
    examined per call); returns how many this call cancelled. An order that fails is logged and skipped.
    Safe to run alongside shopper cancels, timer jobs and another sweep. ``before_cancel``: see
    ``cancel_unpaid_order``."""
    now = now or clock.now()

    async def handle(own: AsyncSession, order_id: int) -> bool:
        return await cancel_unpaid_order(own, order_id, now=now, before_cancel=before_cancel)

    cancelled = await _sweep(session, "cancel_expired", states.PENDING_PAYMENT, Order.pay_deadline, now, handle)
    if cancelled:
        log.info("orders_auto_cancelled", count=cancelled)
    return cancelled


async def complete_due_orders(session: AsyncSession, now: datetime | None = None) -> int:
    """Complete shipped orders past ``auto_complete_at`` (one transaction each, at most ``SWEEP_MAX_ORDERS``
    examined per call); returns how many. An order that fails is logged and skipped."""
    now = now or clock.now()

    async def handle(own: AsyncSession, order_id: int) -> bool:
        return await complete_shipped_order(own, order_id, now=now)

    completed = await _sweep(session, "complete_due", states.SHIPPED, Order.auto_complete_at, now, handle)
    if completed:
        log.info("orders_auto_completed", count=completed)
    return completed


# ---- route-facing wrappers ----------------------------------------------------------------------------

async def cancel_for_shopper(session: AsyncSession, shopper_id: int, order_no: str, reason: str) -> OrderActionPublic:
    order_id = await queries.shopper_order_id(session, shopper_id, order_no)
    result = await cancel_order(session, order_id, actor=Actor(states.SHOPPER, shopper_id), reason=reason or "顾客取消")
    return OrderActionPublic(already=result.already, order=await queries.order_detail(session, order_id))


async def confirm_receipt(session: AsyncSession, shopper_id: int, order_no: str) -> OrderActionPublic:
    order_id = await queries.shopper_order_id(session, shopper_id, order_no)
    result = await complete_order(session, order_id, actor=Actor(states.SHOPPER, shopper_id), note="顾客确认收货")
    return OrderActionPublic(already=result.already, order=await queries.order_detail(session, order_id))


async def ship_for_staff(
    session: AsyncSession, staff_id: int, order_no: str, data: OrderShip
) -> OrderAdminActionPublic:
    order_id = await queries.order_id_by_no(session, order_no)
    result = await ship_order(session, order_id, staff_id=staff_id, data=data)
    return OrderAdminActionPublic(already=result.already, order=await queries.admin_order_detail(session, order_id))


async def cancel_for_staff(session: AsyncSession, staff_id: int, order_no: str, reason: str) -> OrderAdminActionPublic:
    order_id = await queries.order_id_by_no(session, order_no)
    result = await cancel_order(session, order_id, actor=Actor(states.STAFF, staff_id), reason=f"商家取消：{reason}")
    return OrderAdminActionPublic(already=result.already, order=await queries.admin_order_detail(session, order_id))


# ---- after-sales (called by qingmall.aftersales inside its transaction; none of these commit) ----------

# When an order goes back to ``shipped``, its auto-complete clock resumes with the time it had left when the
# after-sale opened, and never with less than this, so the shopper still has time to check the goods.
AFTER_SALE_RESUME_MIN = timedelta(days=3)


@dataclass(frozen=True)
class AfterSaleExit:
    """How an order left ``refunding``; ``auto_complete_at`` is set when it went back to ``shipped``, so the
    caller schedules the completion timer after its commit (the sweep would find the order anyway)."""

    transition: TransitionResult
    auto_complete_at: datetime | None


def _after_sale_event(
    order_id: int, action: str, from_status: str, to_status: str, actor: Actor, note: str
) -> OrderEvent:
    return OrderEvent(
        order_id=order_id, event=states.AFTER_SALE_EVENTS[action], from_status=from_status, to_status=to_status,
        actor_type=actor.type, actor_id=actor.id, note=note[:255], created_at=clock.now(),
    )


async def open_after_sale(
    session: AsyncSession, order_id: int, *, from_status: str, actor: Actor, note: str = ""
) -> TransitionResult:
    """Move the order from ``from_status`` (the status the after-sale was checked against) to ``refunding``,
    remembering ``from_status``. Does not commit.

    One conditional UPDATE decides races: of two after-sales opened at once exactly one moves the order;
    the other gets 409 ``invalid_order_state`` ("订单正在售后中..."). If the order moved on meanwhile
    (shipped while a refund was being asked for), 409 ``order_state_changed``: the request was checked
    against a state that no longer holds.
    """
    states.resolve_after_sale(from_status, states.OPEN_AFTER_SALE)
    now = clock.now()
    result = await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status == from_status)
        .values(status=states.REFUNDING, status_before_after_sale=from_status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(select(Order.status, Order.order_no).where(Order.id == order_id))).one_or_none()
    if row is None:
        raise NotFound("订单不存在")
    if result.rowcount != 1:
        states.resolve_after_sale(row.status, states.OPEN_AFTER_SALE)  # raises for refunding / refunded / ...
        raise Conflict("订单状态已变化，请刷新后重试", code="order_state_changed", details={"status": row.status})
    session.add(_after_sale_event(order_id, states.OPEN_AFTER_SALE, from_status, states.REFUNDING, actor, note))
    return TransitionResult(order_id, row.order_no, from_status, states.REFUNDING, already=False)


async def record_refunded_units(
    session: AsyncSession, order_id: int, units: Sequence[tuple[int, int, int]]
) -> None:
    """Count ``(order_line_id, first_unit, quantity)`` as refunded: units ``first_unit .. first_unit+quantity-1``
    of each line. Does not commit.

    One conditional UPDATE per line, in line-id order, that only succeeds while exactly ``first_unit`` units
    are counted and the new total stays within the line's quantity: a refund amount is computed for those
    very units, and no unit is ever refunded twice. Anything else is 409 ``refund_exceeds_quantity``.
    """
    for line_id, first_unit, quantity in sorted(units):
        result = await session.execute(
            update(OrderLine)
            .where(
                OrderLine.id == line_id,
                OrderLine.order_id == order_id,
                OrderLine.refunded_quantity == first_unit,
                OrderLine.refunded_quantity + quantity <= OrderLine.quantity,
            )
            .values(refunded_quantity=OrderLine.refunded_quantity + quantity)
            .execution_options(synchronize_session=False)
        )
        if quantity <= 0 or result.rowcount != 1:
            raise Conflict(
                "可退数量已变化，请刷新后重试", code="refund_exceeds_quantity", details={"order_line_id": line_id}
            )


async def _every_unit_refunded(session: AsyncSession, order_id: int) -> bool:
    left = await session.scalar(
        select(func.count()).where(OrderLine.order_id == order_id, OrderLine.refunded_quantity < OrderLine.quantity)
    )
    return left == 0


async def close_after_sale(
    session: AsyncSession, order_id: int, *, opened_at: datetime, actor: Actor, note: str = ""
) -> AfterSaleExit:
    """The after-sale of this ``refunding`` order ended (rejected, withdrawn or refunded). Does not commit.

    When every unit of every line has been refunded the order becomes ``refunded`` (terminal); otherwise it
    goes back to the status it left. Back in ``shipped``, its auto-complete clock resumes: the time it had
    left at ``opened_at`` (when the after-sale opened), at least ``AFTER_SALE_RESUME_MIN``.
    """
    row = (
        await session.execute(
            select(Order.status, Order.order_no, Order.status_before_after_sale, Order.auto_complete_at)
            .where(Order.id == order_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("订单不存在")
    action = states.REFUND_ALL if await _every_unit_refunded(session, order_id) else states.CLOSE_AFTER_SALE
    target = states.resolve_after_sale(row.status, action)
    if target == states.REMEMBERED:
        target = row.status_before_after_sale
    now = clock.now()
    values: dict[str, Any] = {"status": target, "updated_at": now}
    auto_complete_at = None
    if target == states.SHIPPED:
        left = row.auto_complete_at - opened_at if row.auto_complete_at else timedelta(0)
        auto_complete_at = now + max(left, AFTER_SALE_RESUME_MIN)
        values["auto_complete_at"] = auto_complete_at
    result = await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status == states.REFUNDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("订单状态正在变化，请稍后重试", code="order_busy")
    session.add(_after_sale_event(order_id, action, states.REFUNDING, target, actor, note))
    transition = TransitionResult(order_id, row.order_no, states.REFUNDING, target, already=False)
    return AfterSaleExit(transition, auto_complete_at)


async def claim_refund_required(session: AsyncSession, order_id: int) -> bool:
    """Clear a cancelled paid order's ``refund_required`` flag; True for the one caller that cleared it (the
    payments area then records the refund in the same transaction). Does not commit."""
    result = await session.execute(
        update(Order).where(Order.id == order_id, Order.refund_required.is_(True))
        .values(refund_required=False, updated_at=clock.now()).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
