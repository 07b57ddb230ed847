"""Read side of orders: lists with cursor pages, details with timeline, badge counts. Never writes.

Lists are keyset-paged on ``(created_at, id)`` newest first (the ``ix_orders_shopper_created`` index for a
shopper's list); line thumbnails of a page come from one extra query, not one per order.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.models import Sku
from qingmall.core import clock
from qingmall.core.crypto import is_mainland_mobile, normalize_phone, phone_hash
from qingmall.core.errors import InvalidInput, NotFound
from qingmall.core.pagination import Page, bounded_day, cursor_id, cursor_time, decode_cursor, encode_cursor
from qingmall.core.storage import thumbnail_url
from qingmall.orders import snapshots, states
from qingmall.orders.models import Order, OrderEvent, OrderLine
from qingmall.orders.schemas import (
    AdminOrderFilters,
    LogisticsPublic,
    OrderAdminDetailPublic,
    OrderAdminSummaryPublic,
    OrderCountsPublic,
    OrderDetailPublic,
    OrderEventAdminPublic,
    OrderEventPublic,
    OrderLinePublic,
    OrderSummaryPublic,
    PickingLinePublic,
    PickingListFilters,
    PickingListPublic,
    PickingOrderPublic,
    PickingSkuPublic,
)
from qingmall.reviews.models import Review
from qingmall.shoppers.models import Shopper

THUMBNAILS = 4


def _not_found() -> NotFound:
    return NotFound("订单不存在")


async def shopper_order_id(session: AsyncSession, shopper_id: int, order_no: str) -> int:
    """The id of the shopper's order ``order_no``; another shopper's order is a plain 404."""
    order_id = await session.scalar(select(Order.id).where(Order.order_no == order_no, Order.shopper_id == shopper_id))
    if order_id is None:
        raise _not_found()
    return order_id


async def order_id_by_no(session: AsyncSession, order_no: str) -> int:
    order_id = await session.scalar(select(Order.id).where(Order.order_no == order_no))
    if order_id is None:
        raise _not_found()
    return order_id


def _countdown(order: Order) -> int:
    if order.status != states.PENDING_PAYMENT or order.pay_deadline is None:
        return 0
    return max(0, int((order.pay_deadline - clock.now()).total_seconds()))


async def _reviewed(session: AsyncSession, line_ids: list[int]) -> set[int]:
    """Which of these order lines the shopper has reviewed (one query for a page or an order)."""
    if not line_ids:
        return set()
    return set((await session.scalars(select(Review.order_line_id).where(Review.order_line_id.in_(line_ids)))).all())


def _common(order: Order, lines: list[OrderLine], reviewed: set[int]) -> dict[str, Any]:
    logistics = None
    if order.tracking_no:
        logistics = LogisticsPublic(
            carrier_code=order.carrier_code, carrier_name=order.carrier_name, tracking_no=order.tracking_no,
            shipped_at=order.shipped_at,
        )
    return {
        "order_no": order.order_no,
        "status": order.status,
        "status_label": states.STATUS_LABELS.get(order.status, order.status),
        "lines": [
            OrderLinePublic.model_validate(line).model_copy(update={"reviewed": line.id in reviewed}) for line in lines
        ],
        "goods_amount": order.goods_amount,
        "shipping_fee": order.shipping_fee,
        "discounts": [
            {"type": d.get("type", ""), "title": d.get("title", ""), "amount": d.get("amount", 0)}
            for d in order.discounts or []
        ],
        "discount_amount": order.discount_amount,
        "payable_amount": order.payable_amount,
        "paid_amount": order.paid_amount,
        "item_count": order.item_count,
        "delivery_method": order.delivery_method,
        "remark": order.remark,
        "pay_deadline": order.pay_deadline,
        "pay_countdown_seconds": _countdown(order),
        "logistics": logistics,
        "auto_complete_at": order.auto_complete_at,
        "cancel_reason": order.cancel_reason,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "shipped_at": order.shipped_at,
        "completed_at": order.completed_at,
        "cancelled_at": order.cancelled_at,
    }


async def _load(
    session: AsyncSession, order_id: int
) -> tuple[Order, list[OrderLine], list[OrderEvent], set[int]]:
    order = await session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise _not_found()
    lines = list(
        (await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id))).all()
    )
    events = list(
        (await session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id))).all()
    )
    reviewed = await _reviewed(session, [line.id for line in lines]) if order.status == states.COMPLETED else set()
    return order, lines, events, reviewed


async def order_detail(session: AsyncSession, order_id: int) -> OrderDetailPublic:
    """The shopper's view of one order (caller has checked ownership)."""
    order, lines, events, reviewed = await _load(session, order_id)
    return OrderDetailPublic(
        **_common(order, lines, reviewed),
        address=snapshots.shopper_address(order.address),
        timeline=[OrderEventPublic.model_validate(e) for e in events],
    )


async def admin_order_detail(session: AsyncSession, order_id: int) -> OrderAdminDetailPublic:
    """The merchant's view: full phone, who did what, payment reference, refund flag."""
    order, lines, events, reviewed = await _load(session, order_id)
    return OrderAdminDetailPublic(
        **_common(order, lines, reviewed),
        id=order.id,
        shopper_id=order.shopper_id,
        address=snapshots.admin_address(order.address),
        timeline=[OrderEventAdminPublic.model_validate(e) for e in events],
        cancelled_by=order.cancelled_by,
        payment_ref=order.payment_ref,
        refund_required=order.refund_required,
    )


async def get_shopper_order(session: AsyncSession, shopper_id: int, order_no: str) -> OrderDetailPublic:
    return await order_detail(session, await shopper_order_id(session, shopper_id, order_no))


async def get_admin_order(session: AsyncSession, order_no: str) -> OrderAdminDetailPublic:
    return await admin_order_detail(session, await order_id_by_no(session, order_no))


LineBrief = tuple[int, str, str, int]  # id, image_url, title, quantity


async def _page(
    session: AsyncSession, query: Any, cursor: str | None, limit: int
) -> tuple[list[Order], str | None, dict[int, list[LineBrief]], set[int]]:
    after = decode_cursor(cursor, 2)
    if after is not None:
        moment, last_id = cursor_time(after[0]), cursor_id(after[1])
        query = query.where(
            or_(Order.created_at < moment, and_(Order.created_at == moment, Order.id < last_id))
        )
    query = query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1)
    orders = list((await session.scalars(query.execution_options(populate_existing=True))).all())
    next_cursor = None
    if len(orders) > limit:
        orders = orders[:limit]
        last = orders[-1]
        next_cursor = encode_cursor([last.created_at.isoformat(), last.id])
    lines: dict[int, list[LineBrief]] = defaultdict(list)
    if orders:
        rows = await session.execute(
            select(OrderLine.order_id, OrderLine.id, OrderLine.image_url, OrderLine.title, OrderLine.quantity)
            .where(OrderLine.order_id.in_([o.id for o in orders]))
            .order_by(OrderLine.id)
        )
        for order_id, line_id, image_url, title, quantity in rows.all():
            lines[order_id].append((line_id, image_url, title, quantity))
    completed = [line[0] for o in orders if o.status == states.COMPLETED for line in lines[o.id]]
    return orders, next_cursor, lines, await _reviewed(session, completed)


def _summary(order: Order, lines: list[LineBrief], reviewed: set[int]) -> dict[str, Any]:
    return {
        "order_no": order.order_no,
        "status": order.status,
        "status_label": states.STATUS_LABELS.get(order.status, order.status),
        "item_count": order.item_count,
        "line_count": len(lines),
        "goods_amount": order.goods_amount,
        "shipping_fee": order.shipping_fee,
        "discount_amount": order.discount_amount,
        "payable_amount": order.payable_amount,
        "thumbnails": [thumbnail_url(image) for _, image, _, _ in lines[:THUMBNAILS]],
        "first_title": lines[0][2] if lines else "",
        "created_at": order.created_at,
        "pay_deadline": order.pay_deadline if order.status == states.PENDING_PAYMENT else None,
        "unreviewed_count": (
            sum(1 for line in lines if line[0] not in reviewed) if order.status == states.COMPLETED else 0
        ),
    }


async def list_shopper_orders(
    session: AsyncSession, shopper_id: int, *, status: str = "all", cursor: str | None = None, limit: int = 10
) -> Page[OrderSummaryPublic]:
    """The shopper's orders, newest first, optionally of one status."""
    query = select(Order).where(Order.shopper_id == shopper_id)
    if status != "all":
        query = query.where(Order.status == status)
    orders, next_cursor, lines, reviewed = await _page(session, query, cursor, limit)
    return Page[OrderSummaryPublic](
        items=[OrderSummaryPublic(**_summary(o, lines[o.id], reviewed)) for o in orders], next_cursor=next_cursor
    )


async def count_shopper_orders(session: AsyncSession, shopper_id: int) -> OrderCountsPublic:
    rows = await session.execute(
        select(Order.status, func.count()).where(Order.shopper_id == shopper_id).group_by(Order.status)
    )
    counts = {status: count for status, count in rows.all()}
    return OrderCountsPublic(**{k: v for k, v in counts.items() if k in OrderCountsPublic.model_fields})


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _shanghai_day_start(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.SHANGHAI)


def _phone_condition(phone: str) -> Any:
    """Orders whose receiver phone OR whose shopper's account phone is exactly ``phone``.

    Phones are stored encrypted with only a keyed hash to look them up, so just a complete number can be
    searched: anything else is 422 ``phone_not_exact`` rather than a silently empty list.
    """
    number = normalize_phone(phone)
    if not is_mainland_mobile(number):
        raise InvalidInput(
            "请输入完整的 11 位手机号：手机号加密存储，不能按部分号码搜索",
            code="phone_not_exact",
            details={"field": "phone"},
        )
    index = phone_hash(number)
    return or_(
        Order.receiver_phone_hash == index,
        Order.shopper_id.in_(select(Shopper.id).where(Shopper.phone_hash == index)),
    )


def _filtered(filters: AdminOrderFilters) -> Any:
    """``SELECT orders`` with the merchant list's filters applied (the list and the picking list share it)."""
    query = select(Order)
    if filters.status != "all":
        query = query.where(Order.status == filters.status)
    if filters.order_no:
        query = query.where(Order.order_no == filters.order_no)
    if filters.phone:
        query = query.where(_phone_condition(filters.phone))
    if filters.shopper_id:
        query = query.where(Order.shopper_id == filters.shopper_id)
    if filters.created_from:
        first_day = bounded_day(filters.created_from, "开始日期")
        query = query.where(Order.created_at >= _shanghai_day_start(first_day))
    if filters.created_to:
        last_day = bounded_day(filters.created_to, "结束日期")
        query = query.where(Order.created_at < _shanghai_day_start(last_day + timedelta(days=1)))
    if filters.keyword:
        pattern = f"%{_escape_like(filters.keyword)}%"
        query = query.where(
            Order.id.in_(select(OrderLine.order_id).where(OrderLine.title.ilike(pattern, escape="\\")))
        )
    return query


async def list_admin_orders(session: AsyncSession, filters: AdminOrderFilters) -> Page[OrderAdminSummaryPublic]:
    """Every order, newest first, filtered by status, number, phone, shopper, Shanghai date range, product title.

    Dates outside 2000..2199 are ``invalid_date`` (a day past 9999-12-31 or a Shanghai midnight of year 1 in
    UTC does not exist), and the cursor's time and id are checked before they reach SQL. ``phone`` must be a
    complete mainland mobile (``_phone_condition``).
    """
    query = _filtered(filters)
    orders, next_cursor, lines, reviewed = await _page(session, query, filters.cursor, filters.limit)
    return Page[OrderAdminSummaryPublic](
        items=[
            OrderAdminSummaryPublic(
                **_summary(o, lines[o.id], reviewed),
                id=o.id,
                shopper_id=o.shopper_id,
                recipient_name=(o.address or {}).get("recipient_name", ""),
                refund_required=o.refund_required,
            )
            for o in orders
        ],
        next_cursor=next_cursor,
    )


async def picking_list(session: AsyncSession, filters: PickingListFilters) -> PickingListPublic:
    """The picking list (拣货单) of the chosen orders: per-SKU totals and one section per order.

    ``filters.order_no`` given: those orders (unknown numbers are left out), in the order given, one page.
    Otherwise the orders matching the list filters, newest first, a keyset page of ``limit`` (at most 200).
    Three queries whatever the number of orders: orders, their lines, the lines' SKU barcodes.
    """
    next_cursor = None
    if filters.order_no:
        wanted = list(dict.fromkeys(filters.order_no))
        found = {o.order_no: o for o in (await session.scalars(select(Order).where(Order.order_no.in_(wanted)))).all()}
        orders = [found[no] for no in wanted if no in found]
    else:
        orders, next_cursor, _, _ = await _page(
            session, _filtered(filters.model_copy(update={"order_no": None})), filters.cursor, filters.limit
        )
    by_order: dict[int, list[PickingLinePublic]] = defaultdict(list)
    if orders:
        rows = await session.execute(
            select(
                OrderLine.order_id,
                OrderLine.sku_id,
                func.coalesce(Sku.barcode, ""),
                OrderLine.title,
                OrderLine.spec_text,
                OrderLine.quantity,
            )
            .outerjoin(Sku, Sku.id == OrderLine.sku_id)
            .where(OrderLine.order_id.in_([o.id for o in orders]))
            .order_by(OrderLine.order_id, OrderLine.id)
        )
        for order_id, sku_id, barcode, title, spec_text, quantity in rows.all():
            by_order[order_id].append(
                PickingLinePublic(sku_id=sku_id, barcode=barcode, title=title, spec_text=spec_text, quantity=quantity)
            )
    totals: dict[int, PickingSkuPublic] = {}
    for order in orders:
        for line in by_order[order.id]:
            total = totals.get(line.sku_id)
            if total is None:
                totals[line.sku_id] = PickingSkuPublic(**line.model_dump(), order_count=1)
            else:
                total.quantity += line.quantity
                total.order_count += 1
    skus = sorted(totals.values(), key=lambda sku: (sku.title, sku.spec_text, sku.sku_id))
    sections = []
    for order in orders:
        address = order.address or {}
        sections.append(
            PickingOrderPublic(
                order_no=order.order_no,
                status=order.status,
                created_at=order.created_at,
                recipient_name=address.get("recipient_name", ""),
                phone_masked=address.get("phone_masked", ""),
                full_address=address.get("full_address", ""),
                remark=order.remark,
                item_count=sum(line.quantity for line in by_order[order.id]),
                lines=by_order[order.id],
            )
        )
    return PickingListPublic(
        skus=skus, orders=sections, total_quantity=sum(sku.quantity for sku in skus), next_cursor=next_cursor
    )
