"""Read side of after-sales: lists with keyset pages, details with lines, timeline and refunds. Never writes.

Lists are newest first, keyset-paged on ``(created_at, id)`` (indexes ``ix_after_sales_shopper_created`` and
``ix_after_sales_status_created``); the lines of a page come from one extra query.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.aftersales import states
from qingmall.aftersales.models import AfterSale, AfterSaleEvent, AfterSaleLine
from qingmall.aftersales.schemas import (
    AdminAfterSaleFilters,
    AfterSaleAdminDetailPublic,
    AfterSaleAdminSummaryPublic,
    AfterSaleDetailPublic,
    AfterSaleEventAdminPublic,
    AfterSaleEventPublic,
    AfterSaleLinePublic,
    AfterSaleSummaryPublic,
    RefundRecordPublic,
    ReturnShippingPublic,
)
from qingmall.core.errors import NotFound
from qingmall.core.pagination import Page, cursor_id, cursor_time, decode_cursor, encode_cursor
from qingmall.orders.models import Order, OrderLine
from qingmall.payments.models import Refund


def not_found() -> NotFound:
    return NotFound("售后单不存在", code="after_sale_not_found")


async def shopper_after_sale_id(session: AsyncSession, shopper_id: int, after_sale_no: str) -> int:
    """The id of the shopper's after-sale; another shopper's is a plain 404."""
    found = await session.scalar(
        select(AfterSale.id).where(AfterSale.after_sale_no == after_sale_no, AfterSale.shopper_id == shopper_id)
    )
    if found is None:
        raise not_found()
    return found


async def after_sale_id_by_no(session: AsyncSession, after_sale_no: str) -> int:
    found = await session.scalar(select(AfterSale.id).where(AfterSale.after_sale_no == after_sale_no))
    if found is None:
        raise not_found()
    return found


async def _lines(session: AsyncSession, after_sale_ids: list[int]) -> dict[int, list[AfterSaleLinePublic]]:
    rows = await session.execute(
        select(AfterSaleLine, OrderLine.title, OrderLine.spec_text, OrderLine.image_url, OrderLine.unit_price)
        .join(OrderLine, OrderLine.id == AfterSaleLine.order_line_id)
        .where(AfterSaleLine.after_sale_id.in_(after_sale_ids))
        .order_by(AfterSaleLine.order_line_id)
    )
    found: dict[int, list[AfterSaleLinePublic]] = defaultdict(list)
    for line, title, spec_text, image_url, unit_price in rows.all():
        found[line.after_sale_id].append(
            AfterSaleLinePublic(
                order_line_id=line.order_line_id,
                sku_id=line.sku_id,
                title=title,
                spec_text=spec_text,
                image_url=image_url,
                unit_price=unit_price,
                quantity=line.quantity,
                amount=line.amount,
            )
        )
    return found


def _common(sale: AfterSale, order_no: str, lines: list[AfterSaleLinePublic]) -> dict[str, Any]:
    return_shipping = None
    if sale.return_tracking_no:
        return_shipping = ReturnShippingPublic(
            carrier_code=sale.return_carrier_code,
            carrier_name=sale.return_carrier_name,
            tracking_no=sale.return_tracking_no,
            shipped_at=sale.return_shipped_at,
        )
    return {
        "after_sale_no": sale.after_sale_no,
        "order_no": order_no,
        "kind": sale.kind,
        "kind_label": states.KIND_LABELS.get(sale.kind, sale.kind),
        "status": sale.status,
        "status_label": states.STATUS_LABELS.get(sale.status, sale.status),
        "reason_code": sale.reason_code,
        "reason_label": states.REASON_LABELS.get(sale.reason_code, sale.reason_code),
        "description": sale.description,
        "photos": list(sale.photos or []),
        "lines": lines,
        "goods_refund": sale.goods_refund,
        "shipping_refund": sale.shipping_refund,
        "refund_amount": sale.refund_amount,
        "refund_state": sale.refund_state,
        "reject_reason": sale.reject_reason,
        "merchant_note": sale.merchant_note,
        "return_shipping": return_shipping,
        "can_withdraw": (sale.status, states.WITHDRAW) in states.TRANSITIONS,
        "can_submit_return": sale.kind == states.RETURN_REFUND and sale.status == states.APPROVED,
        "created_at": sale.created_at,
        "approved_at": sale.approved_at,
        "received_at": sale.received_at,
        "refunded_at": sale.refunded_at,
        "closed_at": sale.closed_at,
    }


async def _load(session: AsyncSession, after_sale_id: int) -> tuple[AfterSale, str, list[AfterSaleEvent]]:
    sale = await session.get(AfterSale, after_sale_id, populate_existing=True)
    if sale is None:
        raise not_found()
    order_no = await session.scalar(select(Order.order_no).where(Order.id == sale.order_id))
    events = list(
        (
            await session.scalars(
                select(AfterSaleEvent).where(AfterSaleEvent.after_sale_id == after_sale_id).order_by(AfterSaleEvent.id)
            )
        ).all()
    )
    return sale, order_no or "", events


async def after_sale_detail(session: AsyncSession, after_sale_id: int) -> AfterSaleDetailPublic:
    """The shopper's view (the caller has checked ownership)."""
    sale, order_no, events = await _load(session, after_sale_id)
    lines = (await _lines(session, [after_sale_id]))[after_sale_id]
    return AfterSaleDetailPublic(
        **_common(sale, order_no, lines), timeline=[AfterSaleEventPublic.model_validate(e) for e in events]
    )


async def admin_after_sale_detail(session: AsyncSession, after_sale_id: int) -> AfterSaleAdminDetailPublic:
    """The merchant's view: who did what, where the order was, the refunds at the payment channels."""
    sale, order_no, events = await _load(session, after_sale_id)
    lines = (await _lines(session, [after_sale_id]))[after_sale_id]
    refunds = (
        await session.scalars(select(Refund).where(Refund.after_sale_id == after_sale_id).order_by(Refund.id))
    ).all()
    return AfterSaleAdminDetailPublic(
        **_common(sale, order_no, lines),
        timeline=[AfterSaleEventAdminPublic.model_validate(e) for e in events],
        id=sale.id,
        order_id=sale.order_id,
        shopper_id=sale.shopper_id,
        order_status_at_open=sale.order_status_at_open,
        stock_returned=sale.stock_returned,
        refunds=[
            RefundRecordPublic(
                out_refund_no=r.out_refund_no,
                channel=r.channel,
                amount=r.amount,
                status=r.status,
                created_at=r.created_at,
                succeeded_at=r.succeeded_at,
            )
            for r in refunds
        ],
    )


async def get_shopper_after_sale(session: AsyncSession, shopper_id: int, after_sale_no: str) -> AfterSaleDetailPublic:
    return await after_sale_detail(session, await shopper_after_sale_id(session, shopper_id, after_sale_no))


async def get_admin_after_sale(session: AsyncSession, after_sale_no: str) -> AfterSaleAdminDetailPublic:
    return await admin_after_sale_detail(session, await after_sale_id_by_no(session, after_sale_no))


async def _page(
    session: AsyncSession, query: Any, cursor: str | None, limit: int
) -> tuple[list[tuple[AfterSale, str]], str | None, dict[int, list[AfterSaleLinePublic]]]:
    after = decode_cursor(cursor, 2)
    if after is not None:
        moment, last_id = cursor_time(after[0]), cursor_id(after[1])
        query = query.where(
            or_(AfterSale.created_at < moment, and_(AfterSale.created_at == moment, AfterSale.id < last_id))
        )
    query = query.order_by(AfterSale.created_at.desc(), AfterSale.id.desc()).limit(limit + 1)
    rows = [(sale, order_no) for sale, order_no in (await session.execute(query)).all()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor([last.created_at.isoformat(), last.id])
    lines = await _lines(session, [sale.id for sale, _ in rows]) if rows else {}
    return rows, next_cursor, lines


def _summary(sale: AfterSale, order_no: str, lines: list[AfterSaleLinePublic]) -> dict[str, Any]:
    return {
        "after_sale_no": sale.after_sale_no,
        "order_no": order_no,
        "kind": sale.kind,
        "kind_label": states.KIND_LABELS.get(sale.kind, sale.kind),
        "status": sale.status,
        "status_label": states.STATUS_LABELS.get(sale.status, sale.status),
        "refund_amount": sale.refund_amount,
        "item_count": sum(line.quantity for line in lines),
        "first_title": lines[0].title if lines else "",
        "thumbnail": lines[0].image_url if lines else "",
        "created_at": sale.created_at,
    }


def _base_query() -> Any:
    return (
        select(AfterSale, Order.order_no)
        .join(Order, Order.id == AfterSale.order_id)
        .execution_options(populate_existing=True)
    )


async def list_shopper_after_sales(
    session: AsyncSession, shopper_id: int, *, cursor: str | None = None, limit: int = 10
) -> Page[AfterSaleSummaryPublic]:
    """The shopper's after-sales, newest first."""
    query = _base_query().where(AfterSale.shopper_id == shopper_id)
    rows, next_cursor, lines = await _page(session, query, cursor, limit)
    return Page[AfterSaleSummaryPublic](
        items=[AfterSaleSummaryPublic(**_summary(sale, no, lines.get(sale.id, []))) for sale, no in rows],
        next_cursor=next_cursor,
    )


async def list_admin_after_sales(
    session: AsyncSession, filters: AdminAfterSaleFilters
) -> Page[AfterSaleAdminSummaryPublic]:
    """Every after-sale, newest first, by status (``open`` = still to be handled), kind, order, shopper."""
    query = _base_query()
    if filters.status == "open":
        query = query.where(AfterSale.status.in_(states.OPEN_STATUSES))
    elif filters.status != "all":
        query = query.where(AfterSale.status == filters.status)
    if filters.kind:
        query = query.where(AfterSale.kind == filters.kind)
    if filters.order_no:
        query = query.where(Order.order_no == filters.order_no)
    if filters.shopper_id:
        query = query.where(AfterSale.shopper_id == filters.shopper_id)
    rows, next_cursor, lines = await _page(session, query, filters.cursor, filters.limit)
    return Page[AfterSaleAdminSummaryPublic](
        items=[
            AfterSaleAdminSummaryPublic(
                **_summary(sale, no, lines.get(sale.id, [])),
                id=sale.id,
                shopper_id=sale.shopper_id,
                reason_code=sale.reason_code,
                reason_label=states.REASON_LABELS.get(sale.reason_code, sale.reason_code),
                refund_state=sale.refund_state,
            )
            for sale, no in rows
        ],
        next_cursor=next_cursor,
    )
