"""After-sales rules: file, review, return, refund (售后).

Invariants:

- A shopper files after-sales only on their own paid orders (another shopper's order is a 404):
  ``refund_only`` while the order is paid, shipped or completed, ``return_refund`` once shipped; a completed
  order only within ``after_sale_days`` (shop settings) of completion. Photos must be images this very shopper
  uploaded (``shoppers.uploads``).
- An order has at most one open after-sale: opening moves the order to ``refunding`` with one conditional
  UPDATE (``orders.service.open_after_sale``) and a partial unique index backs it, so of two racing requests
  exactly one opens. ``(shopper_id, idempotency_key)`` is unique: a retry answers the same after-sale.
- Amounts are fixed when filed, per unit, by ``aftersales.amounts``: refunding every unit of a line in any
  split gives back exactly its ``payable_amount``; the shipping fee only with a refund_only of everything
  left before shipping. When the refund starts the units are claimed on the order lines
  (``orders.service.record_refunded_units``: conditional on the very units priced), and payments raises the
  payment's refunded amount conditionally (``refund_exceeds_paid``): no unit and no fen is refunded twice.
- Stock goes back (``inventory.return_stock``) when a return is received, or when a refund_only of an order
  that was still unshipped starts (the goods never left), in the transaction that starts the refund.
- Every change is one conditional UPDATE through ``aftersales.states`` plus an ``after_sale_events`` row;
  the order follows through ``orders.service`` (back to the status it left, or ``refunded`` once every unit
  of every line is refunded).

Public functions commit once at their end, then hand gateway refunds to payments
(``refunds.send_pending_refunds``, which commits its own answers) and schedule the order's completion timer
when the order went back to ``shipped``. ``on_refund_settled`` does not commit: it runs in payments'
transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall import jobs
from qingmall.aftersales import amounts, queries, states
from qingmall.aftersales.models import AfterSale, AfterSaleEvent, AfterSaleLine
from qingmall.aftersales.schemas import (
    AfterSaleActionPublic,
    AfterSaleAdminActionPublic,
    AfterSaleCreate,
    AfterSaleDetailPublic,
    AfterSaleQuotePublic,
    AfterSaleQuoteRequest,
    QuoteLinePublic,
    ReturnShipping,
)
from qingmall.core import clock
from qingmall.core.errors import Conflict, InvalidInput, NotFound
from qingmall.core.ids import new_order_no
from qingmall.inventory import service as inventory
from qingmall.orders import service as orders_service
from qingmall.orders import states as order_states
from qingmall.orders.models import Order, OrderLine
from qingmall.payments import refunds
from qingmall.payments.gateways import Gateways
from qingmall.payments.models import Refund
from qingmall.shop import service as shop_service
from qingmall.shoppers import uploads

log = structlog.get_logger("qingmall.aftersales")

_ATTEMPTS = 5


class AfterSaleOpen(Conflict):
    code = "after_sale_open"


def _already_open() -> AfterSaleOpen:
    return AfterSaleOpen("该订单有正在处理的售后，请等处理完成后再申请")


@dataclass(frozen=True)
class Actor:
    """Who acts on an after-sale: ``shopper`` / ``staff`` (with their id) or ``system`` (payments)."""

    type: str
    id: int | None = None

    def for_order(self) -> orders_service.Actor:
        return orders_service.Actor(self.type, self.id)


SYSTEM = Actor(states.SYSTEM)


@dataclass(frozen=True)
class TransitionResult:
    after_sale_id: int
    from_status: str
    to_status: str
    already: bool


# ---- the rules of filing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """What an after-sale of the requested units would refund: ``lines`` are ``(order line, units, amount)``."""

    lines: list[tuple[OrderLine, int, int]]
    goods_refund: int
    shipping_refund: int

    @property
    def refund_amount(self) -> int:
        return self.goods_refund + self.shipping_refund


def _check_order(order: Order, kind: str, days: int) -> None:
    """Refuse an after-sale the order's state does not allow (409 with a sentence a shopper can act on)."""
    if order.status == order_states.REFUNDING:
        raise _already_open()
    if order.status not in order_states.AFTER_SALE_SOURCES:
        order_states.resolve_after_sale(order.status, order_states.OPEN_AFTER_SALE)  # raises with the reason
    if kind == states.RETURN_REFUND and order.status == order_states.PAID:
        raise Conflict("订单尚未发货，请申请仅退款", code="return_not_allowed")
    if order.status == order_states.COMPLETED:
        completed_at = order.completed_at or order.updated_at
        if clock.now() > completed_at + timedelta(days=days):
            raise Conflict(
                f"订单确认收货已超过 {days} 天，不能再申请售后",
                code="after_sale_expired",
                details={"deadline": (completed_at + timedelta(days=days)).isoformat()},
            )


def _quote(order: Order, lines: list[OrderLine], kind: str, requested: list[tuple[int, int]]) -> Quote:
    """Price the requested ``(order_line_id, units)``; 422 for a line not in the order, 409 past what is left."""
    by_id = {line.id: line for line in lines}
    priced: list[tuple[OrderLine, int, int]] = []
    for line_id, quantity in requested:
        line = by_id.get(line_id)
        if line is None:
            raise InvalidInput("订单中没有这件商品", code="invalid_order_line", details={"order_line_id": line_id})
        left = line.quantity - line.refunded_quantity
        if quantity > left:
            message = f"「{line.title}」最多还能退 {left} 件" if left else f"「{line.title}」已全部退款"
            raise Conflict(
                message,
                code="quantity_exceeds_refundable",
                details={"order_line_id": line_id, "refundable_quantity": left},
            )
        amount = amounts.refund_amount(
            line.payable_amount, line.quantity, already_refunded=line.refunded_quantity, refunding=quantity
        )
        priced.append((line, quantity, amount))
    shipping = 0
    states_of_lines = [
        amounts.LineState(line.id, line.quantity, line.refunded_quantity, line.payable_amount) for line in lines
    ]
    if (
        kind == states.REFUND_ONLY
        and order.status == order_states.PAID
        and amounts.covers_every_remaining_unit(states_of_lines, dict(requested))
    ):
        shipping = order.shipping_fee
    return Quote(priced, sum(amount for _, _, amount in priced), shipping)


async def _shopper_order(session: AsyncSession, shopper_id: int, order_no: str) -> tuple[Order, list[OrderLine]]:
    order = await session.scalar(
        select(Order)
        .where(Order.order_no == order_no, Order.shopper_id == shopper_id)
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound("订单不存在")
    lines = list(
        (
            await session.scalars(
                select(OrderLine)
                .where(OrderLine.order_id == order.id)
                .order_by(OrderLine.id)
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    return order, lines


def _quote_view(kind: str, quote: Quote) -> AfterSaleQuotePublic:
    return AfterSaleQuotePublic(
        kind=kind,
        lines=[
            QuoteLinePublic(
                order_line_id=line.id,
                title=line.title,
                spec_text=line.spec_text,
                image_url=line.image_url,
                quantity=quantity,
                refundable_quantity=line.quantity - line.refunded_quantity,
                amount=amount,
            )
            for line, quantity, amount in quote.lines
        ],
        goods_refund=quote.goods_refund,
        shipping_refund=quote.shipping_refund,
        refund_amount=quote.refund_amount,
    )


async def preview(
    session: AsyncSession, shopper_id: int, order_no: str, request: AfterSaleQuoteRequest
) -> AfterSaleQuotePublic:
    """What filing this after-sale would refund, with the same checks as filing it. Read-only."""
    order, lines = await _shopper_order(session, shopper_id, order_no)
    _check_order(order, request.kind, await shop_service.after_sale_days(session))
    quote = _quote(order, lines, request.kind, [(line.order_line_id, line.quantity) for line in request.lines])
    view = _quote_view(request.kind, quote)
    await session.rollback()
    return view


def request_fingerprint(order_no: str, request: AfterSaleCreate) -> str:
    """SHA-256 of the order and the request without its idempotency key: equal requests, equal fingerprints."""
    body = request.model_dump(exclude={"idempotency_key"}, mode="json")
    body["order_no"] = order_no
    body["lines"] = sorted(body["lines"], key=lambda line: line["order_line_id"])
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def _existing(session: AsyncSession, shopper_id: int, key: str) -> tuple[int, str] | None:
    row = (
        await session.execute(
            select(AfterSale.id, AfterSale.request_hash).where(
                AfterSale.shopper_id == shopper_id, AfterSale.idempotency_key == key
            )
        )
    ).one_or_none()
    return (row.id, row.request_hash) if row else None


async def _replay(session: AsyncSession, found: tuple[int, str], fingerprint: str) -> AfterSaleDetailPublic:
    after_sale_id, request_hash = found
    if request_hash != fingerprint:
        raise Conflict("该幂等键已用于另一个内容不同的售后申请", code="idempotency_key_reused")
    return await queries.after_sale_detail(session, after_sale_id)


async def _open_after_sale_of(session: AsyncSession, order_id: int) -> int | None:
    return await session.scalar(
        select(AfterSale.id).where(AfterSale.order_id == order_id, AfterSale.status.in_(states.OPEN_STATUSES))
    )


async def _check_photos(session: AsyncSession, shopper_id: int, photos: list[str]) -> None:
    if len(set(photos)) != len(photos):
        raise InvalidInput("凭证图片重复", code="duplicate_photo")
    owned = await uploads.uploaded_by(session, shopper_id, photos)
    for url in photos:
        if url not in owned:
            raise InvalidInput("凭证图片无效，请通过商城上传图片", code="invalid_photo_url", details={"url": url})


async def create_after_sale(
    session: AsyncSession, shopper_id: int, order_no: str, request: AfterSaleCreate
) -> tuple[AfterSaleDetailPublic, bool]:
    """File an after-sale in one transaction; returns ``(after_sale, created)`` (``created`` False on a replay).

    404 for an order that is not the shopper's; 409 ``after_sale_open`` when the order already has one open
    (also for the loser of two racing requests), ``return_not_allowed``, ``after_sale_expired``,
    ``quantity_exceeds_refundable``, ``invalid_order_state``, ``idempotency_key_reused``; 422
    ``invalid_order_line``, ``invalid_reason``, ``invalid_photo_url``. Commits once.
    """
    fingerprint = request_fingerprint(order_no, request)
    found = await _existing(session, shopper_id, request.idempotency_key)
    if found is not None:
        return await _replay(session, found, fingerprint), False
    if request.reason_code in states.REASONS_REFUSED[request.kind]:
        label = states.REASON_LABELS[request.reason_code]
        raise InvalidInput(f"「{label}」不能申请退货退款，请申请仅退款", code="invalid_reason")
    await _check_photos(session, shopper_id, request.photos)
    order, lines = await _shopper_order(session, shopper_id, order_no)
    _check_order(order, request.kind, await shop_service.after_sale_days(session))
    quote = _quote(order, lines, request.kind, [(line.order_line_id, line.quantity) for line in request.lines])
    after_sale_no = new_order_no()
    actor = Actor(states.SHOPPER, shopper_id)
    order_id, order_status = order.id, order.status
    try:
        await orders_service.open_after_sale(
            session,
            order_id,
            from_status=order_status,
            actor=actor.for_order(),
            note=f"申请{states.KIND_LABELS[request.kind]}（售后单 {after_sale_no}）",
        )
        now = clock.now()
        sale = AfterSale(
            after_sale_no=after_sale_no,
            order_id=order_id,
            shopper_id=shopper_id,
            kind=request.kind,
            status=states.PENDING_REVIEW,
            reason_code=request.reason_code,
            description=request.description,
            photos=list(request.photos),
            idempotency_key=request.idempotency_key,
            request_hash=fingerprint,
            order_status_at_open=order_status,
            goods_refund=quote.goods_refund,
            shipping_refund=quote.shipping_refund,
            refund_amount=quote.refund_amount,
            created_at=now,
            updated_at=now,
        )
        session.add(sale)
        await session.flush()
        for line, quantity, amount in quote.lines:
            session.add(
                AfterSaleLine(
                    after_sale_id=sale.id,
                    order_line_id=line.id,
                    sku_id=line.sku_id,
                    quantity=quantity,
                    first_unit=line.refunded_quantity,
                    amount=amount,
                )
            )
        session.add(
            _event(sale.id, "submitted", "", states.PENDING_REVIEW, actor, states.REASON_LABELS[request.reason_code])
        )
        after_sale_id = sale.id
        await session.commit()
    except (order_states.InvalidOrderState, IntegrityError) as exc:
        await session.rollback()
        found = await _existing(session, shopper_id, request.idempotency_key)
        if found is not None:  # the same request, tapped twice: the other one won
            return await _replay(session, found, fingerprint), False
        if isinstance(exc, order_states.InvalidOrderState):
            if (exc.details or {}).get("status") == order_states.REFUNDING:
                raise _already_open() from None
            raise
        if await _open_after_sale_of(session, order_id) is not None:
            raise _already_open() from None
        raise Conflict("售后申请提交失败，请重试", code="after_sale_busy") from None
    return await queries.after_sale_detail(session, after_sale_id), True


# ---- transitions -------------------------------------------------------------------------------------------


def _event(
    after_sale_id: int, event: str, from_status: str, to_status: str, actor: Actor, note: str = ""
) -> AfterSaleEvent:
    return AfterSaleEvent(
        after_sale_id=after_sale_id,
        event=event,
        from_status=from_status,
        to_status=to_status,
        actor_type=actor.type,
        actor_id=actor.id,
        note=note[:255],
        created_at=clock.now(),
    )


async def _transition(
    session: AsyncSession,
    after_sale_id: int,
    action: str,
    actor: Actor,
    *,
    note: str = "",
    values: dict[str, Any] | None = None,
) -> TransitionResult:
    """Apply ``action`` with a conditional UPDATE and write the timeline event. Does not commit."""
    for _ in range(_ATTEMPTS):
        status = await session.scalar(select(AfterSale.status).where(AfterSale.id == after_sale_id))
        if status is None:
            raise queries.not_found()
        target = states.resolve(status, action, actor.type)
        if target is None:
            return TransitionResult(after_sale_id, status, status, already=True)
        now = clock.now()
        result = await session.execute(
            update(AfterSale)
            .where(AfterSale.id == after_sale_id, AfterSale.status == status)
            .values(status=target, updated_at=now, **(values or {}))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            session.add(_event(after_sale_id, states.ACTION_EVENTS[action], status, target, actor, note))
            return TransitionResult(after_sale_id, status, target, already=False)
    raise Conflict("售后状态正在变化，请稍后重试", code="after_sale_busy")


async def _close_order(
    session: AsyncSession, after_sale_id: int, actor: Actor, note: str
) -> orders_service.AfterSaleExit:
    """The after-sale ended: the order leaves ``refunding`` (back, or to ``refunded``). Does not commit."""
    row = (
        await session.execute(select(AfterSale.order_id, AfterSale.created_at).where(AfterSale.id == after_sale_id))
    ).one()
    return await orders_service.close_after_sale(
        session, row.order_id, opened_at=row.created_at, actor=actor.for_order(), note=note
    )


def _schedule_completion(exit_: orders_service.AfterSaleExit | None) -> None:
    """After commit: the order went back to ``shipped``, so its completion timer runs again (sweep backs it)."""
    if exit_ is not None and exit_.auto_complete_at is not None:
        jobs.schedule_order_completion(exit_.transition.order_id, exit_.auto_complete_at)


async def _sale(session: AsyncSession, after_sale_id: int) -> AfterSale:
    sale = await session.get(AfterSale, after_sale_id, populate_existing=True)
    if sale is None:
        raise queries.not_found()
    return sale


async def _start_refund(
    session: AsyncSession, after_sale_id: int, action: str, actor: Actor, note: str, *, to_balance: bool = False
) -> bool:
    """Move to ``refunding`` and do what that means, once. Does not commit. True if this call moved it.

    Claims the units on the order lines, puts stock back when goods came back or never left, and records
    the refund with payments (a balance refund settles at once, calling ``on_refund_settled`` inside).
    """
    now = clock.now()
    values: dict[str, Any] = {"refund_state": "pending"}
    if action == states.CONFIRM_RECEIVED:
        values["received_at"] = now
    result = await _transition(session, after_sale_id, action, actor, note=note, values=values)
    if result.already:
        return False
    sale = await _sale(session, after_sale_id)
    lines = list(
        (await session.scalars(select(AfterSaleLine).where(AfterSaleLine.after_sale_id == after_sale_id))).all()
    )
    await orders_service.record_refunded_units(
        session, sale.order_id, [(line.order_line_id, line.first_unit, line.quantity) for line in lines]
    )
    goods_back = sale.kind == states.RETURN_REFUND or sale.order_status_at_open == order_states.PAID
    if goods_back:
        await inventory.return_stock(
            session, [(line.sku_id, line.quantity) for line in lines], ref_type="after_sale", ref_id=sale.after_sale_no
        )
        await session.execute(
            update(AfterSale)
            .where(AfterSale.id == after_sale_id)
            .values(stock_returned=True)
            .execution_options(synchronize_session=False)
        )
    if sale.refund_amount == 0:  # nothing was paid for these units (a 100% discount): nothing to send back
        await on_refund_settled(session, after_sale_id, succeeded=True)
    else:
        await refunds.record_order_refund(
            session,
            sale.order_id,
            sale.refund_amount,
            reason=f"售后退款 {sale.after_sale_no}",
            after_sale_id=after_sale_id,
            to_balance=to_balance,
        )
    return True


async def _send_refunds(session: AsyncSession, gateways: Gateways, order_id: int) -> None:
    """After commit: ask the gateways for the recorded refunds. A failure here changes nothing recorded (the
    refund stays pending and is sent again by payments' retry or the merchant's retry), so it is logged."""
    try:
        await refunds.send_pending_refunds(session, gateways, order_id=order_id)
    except Exception:
        log.exception("after_sale_refund_send_failed", order_id=order_id)
        await session.rollback()


async def _schedule_if_shipped(session: AsyncSession, order_id: int) -> None:
    """After commit of a refund step: if the refund finished and the order is back in ``shipped``, schedule
    its completion timer (the sweep backs it up; a WeChat/Alipay refund that settles later relies on it)."""
    row = (await session.execute(select(Order.status, Order.auto_complete_at).where(Order.id == order_id))).one()
    await session.rollback()
    if row.status == order_states.SHIPPED and row.auto_complete_at is not None:
        jobs.schedule_order_completion(order_id, row.auto_complete_at)


# ---- shopper actions ---------------------------------------------------------------------------------------


async def withdraw(session: AsyncSession, shopper_id: int, after_sale_no: str) -> AfterSaleActionPublic:
    """The shopper takes the request back (before the merchant approves it, or after approval of a return
    before shipping it back); the order returns to where it was. Commits."""
    after_sale_id = await queries.shopper_after_sale_id(session, shopper_id, after_sale_no)
    actor = Actor(states.SHOPPER, shopper_id)
    result = await _transition(
        session, after_sale_id, states.WITHDRAW, actor, note="顾客撤销申请", values={"closed_at": clock.now()}
    )
    exit_ = None
    if not result.already:
        exit_ = await _close_order(session, after_sale_id, actor, f"顾客撤销售后（售后单 {after_sale_no}）")
    await session.commit()
    _schedule_completion(exit_)
    return AfterSaleActionPublic(
        already=result.already, after_sale=await queries.after_sale_detail(session, after_sale_id)
    )


async def submit_return(
    session: AsyncSession, shopper_id: int, after_sale_no: str, data: ReturnShipping
) -> AfterSaleActionPublic:
    """The shopper sent the goods back: record the waybill. The same waybill again is a no-op; another one
    is 409 ``return_already_shipped``. Commits."""
    after_sale_id = await queries.shopper_after_sale_id(session, shopper_id, after_sale_no)
    sale = await _sale(session, after_sale_id)
    if sale.kind != states.RETURN_REFUND:
        raise states.InvalidAfterSaleState(
            "仅退款无需寄回商品", details={"status": sale.status, "action": states.SUBMIT_RETURN}
        )
    result = await _transition(
        session,
        after_sale_id,
        states.SUBMIT_RETURN,
        Actor(states.SHOPPER, shopper_id),
        note=f"{data.carrier_name} {data.tracking_no}",
        values={
            "return_carrier_code": data.carrier_code,
            "return_carrier_name": data.carrier_name,
            "return_tracking_no": data.tracking_no,
            "return_shipped_at": clock.now(),
        },
    )
    if result.already:
        current = await session.scalar(select(AfterSale.return_tracking_no).where(AfterSale.id == after_sale_id))
        await session.rollback()
        if current != data.tracking_no:
            raise Conflict(
                f"退货物流已填写（运单号 {current}）", code="return_already_shipped", details={"tracking_no": current}
            )
    else:
        await session.commit()
    return AfterSaleActionPublic(
        already=result.already, after_sale=await queries.after_sale_detail(session, after_sale_id)
    )


# ---- merchant actions --------------------------------------------------------------------------------------


async def _admin_answer(session: AsyncSession, after_sale_id: int, already: bool) -> AfterSaleAdminActionPublic:
    return AfterSaleAdminActionPublic(
        already=already, after_sale=await queries.admin_after_sale_detail(session, after_sale_id)
    )


async def approve(
    session: AsyncSession, staff_id: int, after_sale_no: str, *, note: str, gateways: Gateways,
    to_balance: bool = False,
) -> AfterSaleAdminActionPublic:
    """The merchant agrees. A refund_only goes straight on to refunding (stock back if the order was not yet
    shipped; the refund recorded, then sent after commit); a return waits for the goods. Commits."""
    after_sale_id = await queries.after_sale_id_by_no(session, after_sale_no)
    actor = Actor(states.STAFF, staff_id)
    result = await _transition(
        session,
        after_sale_id,
        states.APPROVE,
        actor,
        note=note,
        values={"approved_at": clock.now(), "merchant_note": note},
    )
    if result.already:
        await session.rollback()
        return await _admin_answer(session, after_sale_id, True)
    sale = await _sale(session, after_sale_id)
    order_id, refund_started = sale.order_id, False
    if sale.kind == states.REFUND_ONLY:
        refund_started = await _start_refund(
            session, after_sale_id, states.START_REFUND, SYSTEM, "商家同意，开始退款", to_balance=to_balance
        )
    await session.commit()
    if refund_started:
        await _send_refunds(session, gateways, order_id)
        await _schedule_if_shipped(session, order_id)
    return await _admin_answer(session, after_sale_id, False)


async def reject(session: AsyncSession, staff_id: int, after_sale_no: str, reason: str) -> AfterSaleAdminActionPublic:
    """The merchant refuses, saying why; the order returns to where it was (the shopper may file anew). Commits."""
    after_sale_id = await queries.after_sale_id_by_no(session, after_sale_no)
    actor = Actor(states.STAFF, staff_id)
    result = await _transition(
        session,
        after_sale_id,
        states.REJECT,
        actor,
        note=reason,
        values={"reject_reason": reason, "closed_at": clock.now()},
    )
    exit_ = None
    if not result.already:
        exit_ = await _close_order(session, after_sale_id, actor, f"商家拒绝售后（售后单 {after_sale_no}）：{reason}")
    await session.commit()
    _schedule_completion(exit_)
    return await _admin_answer(session, after_sale_id, result.already)


async def confirm_received(
    session: AsyncSession, staff_id: int, after_sale_no: str, *, note: str, gateways: Gateways,
    to_balance: bool = False,
) -> AfterSaleAdminActionPublic:
    """The returned goods arrived: stock goes back and the refund starts (sent after commit). Commits."""
    after_sale_id = await queries.after_sale_id_by_no(session, after_sale_no)
    kind = await session.scalar(select(AfterSale.kind).where(AfterSale.id == after_sale_id))
    if kind != states.RETURN_REFUND:
        raise states.InvalidAfterSaleState(
            "仅退款没有退货，无需确认收货", details={"kind": kind, "action": states.CONFIRM_RECEIVED}
        )
    started = await _start_refund(
        session, after_sale_id, states.CONFIRM_RECEIVED, Actor(states.STAFF, staff_id), note or "商家确认收到退货",
        to_balance=to_balance,
    )
    sale = await _sale(session, after_sale_id)
    order_id = sale.order_id
    if not started:
        await session.rollback()
        return await _admin_answer(session, after_sale_id, True)
    await session.commit()
    await _send_refunds(session, gateways, order_id)
    await _schedule_if_shipped(session, order_id)
    return await _admin_answer(session, after_sale_id, False)


async def _refund_covered(session: AsyncSession, after_sale_id: int, statuses: tuple[str, ...]) -> int:
    return (
        await session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0)).where(
                Refund.after_sale_id == after_sale_id, Refund.status.in_(statuses)
            )
        )
        or 0
    )


async def retry_refund(
    session: AsyncSession, staff_id: int, after_sale_no: str, *, gateways: Gateways, to_balance: bool = False
) -> AfterSaleAdminActionPublic:
    """Ask again for a refund that failed or is stuck: whatever part of the amount no live refund covers
    (a failed refund gave its amount back to the payment) is recorded anew, then every pending refund of
    the order is sent. Only while ``refunding``; commits."""
    after_sale_id = await queries.after_sale_id_by_no(session, after_sale_no)
    sale = await _sale(session, after_sale_id)
    if sale.status != states.REFUNDING:
        raise states.InvalidAfterSaleState(
            f"售后申请{states.STATUS_LABELS.get(sale.status, sale.status)}，不能重试退款",
            details={"status": sale.status, "action": "retry_refund"},
        )
    order_id, refund_amount = sale.order_id, sale.refund_amount
    covered = await _refund_covered(session, after_sale_id, ("pending", "processing", "success"))
    session.add(
        _event(
            after_sale_id,
            "refund_retried",
            states.REFUNDING,
            states.REFUNDING,
            Actor(states.STAFF, staff_id),
            "商家重试退款",
        )
    )
    await session.execute(
        update(AfterSale)
        .where(AfterSale.id == after_sale_id, AfterSale.status == states.REFUNDING)
        .values(refund_state="pending", updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if refund_amount - covered > 0:
        await refunds.record_order_refund(
            session, order_id, refund_amount - covered, reason=f"售后退款 {after_sale_no}", after_sale_id=after_sale_id,
            to_balance=to_balance,
        )
    await session.commit()
    await _send_refunds(session, gateways, order_id)
    await _schedule_if_shipped(session, order_id)
    return await _admin_answer(session, after_sale_id, False)


# ---- called by payments ------------------------------------------------------------------------------------


async def on_refund_settled(session: AsyncSession, after_sale_id: int, *, succeeded: bool) -> None:
    """A refund of this after-sale reached ``success`` or ``failed`` at its channel. Does not commit (runs in
    payments' transaction).

    Success: once refunds of the whole amount have succeeded, ``refunding`` -> ``refunded`` and the order
    leaves ``refunding`` (``refunded`` when every unit of every line is refunded). A repeat is a no-op.
    Failure: the after-sale stays ``refunding``, marked failed, with a timeline event; the merchant retries.
    """
    await session.flush()
    row = (
        await session.execute(
            select(AfterSale.status, AfterSale.refund_amount, AfterSale.after_sale_no).where(
                AfterSale.id == after_sale_id
            )
        )
    ).one_or_none()
    if row is None:
        log.error("refund_settled_for_unknown_after_sale", after_sale_id=after_sale_id)
        return
    if row.status != states.REFUNDING:
        return
    if not succeeded:
        await session.execute(
            update(AfterSale)
            .where(AfterSale.id == after_sale_id, AfterSale.status == states.REFUNDING)
            .values(refund_state="failed", updated_at=clock.now())
            .execution_options(synchronize_session=False)
        )
        session.add(
            _event(after_sale_id, "refund_failed", states.REFUNDING, states.REFUNDING, SYSTEM, "退款失败，等待商家重试")
        )
        return
    if row.refund_amount > 0 and await _refund_covered(session, after_sale_id, ("success",)) < row.refund_amount:
        return  # another refund of this after-sale is still on its way
    now = clock.now()
    result = await _transition(
        session,
        after_sale_id,
        states.SETTLE_REFUND,
        SYSTEM,
        note="退款成功",
        values={"refund_state": "succeeded", "refunded_at": now, "closed_at": now},
    )
    if not result.already:
        await _close_order(session, after_sale_id, SYSTEM, f"售后退款完成（售后单 {row.after_sale_no}）")
