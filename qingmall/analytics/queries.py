"""The dashboard's figures, aggregated in SQL: five queries whatever the number of orders or days.

Days are Beijing days (``core.clock.SHANGHAI``). A paid order belongs to the day of its ``paid_at``; its
successful after-sale refunds (after-sales in ``refunded``) are taken off that same day. A cancelled order
is left out whether or not it was paid (the merchant cancelled it before shipping and it was refunded in
full), so an order that leaves ``pending_payment`` for ``paid`` counts until it is cancelled.

Queries: (1) the days of the period with their orders, shoppers, paid and refunded amounts; (2) the distinct
shoppers of the whole period; (3, 4) the top products by units and by sales, net of refunded after-sale
lines; (5) the work queue. The period filters ``orders.paid_at``, which has no index yet: the database
reads the whole orders table, fine for a small shop, an index ``(paid_at)`` once it grows.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from qingmall.aftersales import states as after_sale_states
from qingmall.aftersales.models import AfterSale, AfterSaleLine
from qingmall.analytics.schemas import (
    DashboardDay,
    DashboardFigures,
    DashboardProduct,
    DashboardPublic,
    DashboardQueue,
)
from qingmall.catalog.models import Spu
from qingmall.core import clock
from qingmall.core.clock import SHANGHAI
from qingmall.core.storage import thumbnail_url
from qingmall.orders import states as order_states
from qingmall.orders.models import Order, OrderLine

TOP_PRODUCTS = 10


class BeijingDate(FunctionElement[str]):
    """``YYYY-MM-DD`` of a UTC timestamp column in Beijing time, the same text on both databases.

    SQLite stores the UTC time as naive text, so it adds eight hours: China has kept UTC+8 all year since
    1991, so the fixed offset is exact. PostgreSQL converts with the real zone."""

    type = String()
    name = "beijing_date"
    inherit_cache = True


@compiles(BeijingDate, "sqlite")
def _beijing_date_sqlite(element: BeijingDate, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(BeijingDate, "postgresql")
def _beijing_date_postgresql(element: BeijingDate, compiler: Any, **kw: Any) -> str:
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"


def _average(sales: int, orders: int) -> int:
    """Sales per order in fen, rounded half up (sales are never negative); 0 without orders."""
    return (2 * sales + orders) // (2 * orders) if orders else 0


def _figures(orders: int, shoppers: int, paid: int, refunds: int) -> dict[str, int]:
    sales = paid - refunds
    return {
        "sales_fen": sales,
        "refunds_fen": refunds,
        "orders": orders,
        "shoppers": shoppers,
        "average_order_fen": _average(sales, orders),
    }


async def dashboard(session: AsyncSession, days: int) -> DashboardPublic:
    """Today against yesterday, the last ``days`` Beijing days (today included), top products, work queue."""
    now = clock.now()
    today = now.astimezone(SHANGHAI).date()
    first_day = today - timedelta(days=days - 1)
    start = datetime.combine(first_day, time(0), SHANGHAI).astimezone(UTC)
    end = datetime.combine(today + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)
    in_period = (Order.paid_at >= start) & (Order.paid_at < end) & (Order.status != order_states.CANCELLED)

    by_day = await _days(session, in_period)
    series: list[DashboardDay] = []
    for offset in range(days):
        date = (first_day + timedelta(days=offset)).isoformat()
        orders, shoppers, paid, refunds = by_day.get(date, (0, 0, 0, 0))
        series.append(DashboardDay(date=date, **_figures(orders, shoppers, paid, refunds)))

    period_shoppers = int(await session.scalar(select(func.count(distinct(Order.shopper_id))).where(in_period)) or 0)
    total_orders = sum(day.orders for day in series)
    total_refunds = sum(day.refunds_fen for day in series)
    total_paid = sum(day.sales_fen for day in series) + total_refunds
    totals = DashboardFigures(**_figures(total_orders, period_shoppers, total_paid, total_refunds))

    units, sales = await _top_products(session, in_period)
    return DashboardPublic(
        days=days,
        today_date=today.isoformat(),
        generated_at=now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        today=DashboardFigures(**series[-1].model_dump(exclude={"date"})),
        yesterday=DashboardFigures(**series[-2].model_dump(exclude={"date"})),
        totals=totals,
        series=series,
        top_by_units=units,
        top_by_sales=sales,
        queue=await _queue(session),
    )


async def _days(session: AsyncSession, in_period: ColumnElement[bool]) -> dict[str, tuple[int, int, int, int]]:
    """``{date: (orders, shoppers, paid, refunded)}`` for the days that have paid orders."""
    refunded = (
        select(AfterSale.order_id, func.sum(AfterSale.refund_amount).label("amount"))
        .join(Order, Order.id == AfterSale.order_id)
        .where(AfterSale.status == after_sale_states.REFUNDED, in_period)
        .group_by(AfterSale.order_id)
        .subquery()
    )
    day = BeijingDate(Order.paid_at)
    statement = (
        select(
            day,
            func.count(Order.id),
            func.count(distinct(Order.shopper_id)),
            func.coalesce(func.sum(Order.paid_amount), 0),
            func.coalesce(func.sum(refunded.c.amount), 0),
        )
        .outerjoin(refunded, refunded.c.order_id == Order.id)
        .where(in_period)
        .group_by(day)
    )
    return {
        str(date): (int(orders), int(shoppers), int(paid), int(refunds))
        for date, orders, shoppers, paid, refunds in (await session.execute(statement)).all()
    }


async def _top_products(
    session: AsyncSession, in_period: ColumnElement[bool]
) -> tuple[list[DashboardProduct], list[DashboardProduct]]:
    """The top products by units and by sales: order lines of the period net of refunded after-sale lines
    (what the line paid, shipping excluded). A product whose every unit came back does not rank."""
    refunded = (
        select(
            AfterSaleLine.order_line_id,
            func.sum(AfterSaleLine.quantity).label("units"),
            func.sum(AfterSaleLine.amount).label("amount"),
        )
        .join(AfterSale, AfterSale.id == AfterSaleLine.after_sale_id)
        .join(Order, Order.id == AfterSale.order_id)
        .where(AfterSale.status == after_sale_states.REFUNDED, in_period)
        .group_by(AfterSaleLine.order_line_id)
        .subquery()
    )
    units = func.sum(OrderLine.quantity - func.coalesce(refunded.c.units, 0)).label("units")
    sales = func.sum(OrderLine.payable_amount - func.coalesce(refunded.c.amount, 0)).label("sales")
    base = (
        select(Spu.id, Spu.title, Spu.main_image_url, units, sales)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Spu, Spu.id == OrderLine.spu_id)
        .outerjoin(refunded, refunded.c.order_line_id == OrderLine.id)
        .where(in_period)
        .group_by(Spu.id, Spu.title, Spu.main_image_url)
    )
    by_units = base.having(units > 0).order_by(units.desc(), sales.desc(), Spu.id).limit(TOP_PRODUCTS)
    by_sales = base.having(sales > 0).order_by(sales.desc(), units.desc(), Spu.id).limit(TOP_PRODUCTS)

    async def ranked(statement: Any) -> list[DashboardProduct]:
        return [
            DashboardProduct(
                spu_id=spu_id,
                title=title,
                image_url=thumbnail_url(image),
                units=int(unit_count),
                sales_fen=int(amount),
            )
            for spu_id, title, image, unit_count, amount in (await session.execute(statement)).all()
        ]

    return await ranked(by_units), await ranked(by_sales)


async def _queue(session: AsyncSession) -> DashboardQueue:
    """Orders and after-sales waiting for the merchant now, in one statement (the status indexes)."""

    def orders_in(status: str) -> Any:
        return select(func.count(Order.id)).where(Order.status == status).scalar_subquery()

    pending_review = (
        select(func.count(AfterSale.id)).where(AfterSale.status == after_sale_states.PENDING_REVIEW).scalar_subquery()
    )
    row = (
        await session.execute(
            select(orders_in(order_states.PAID), pending_review, orders_in(order_states.PENDING_PAYMENT))
        )
    ).one()
    return DashboardQueue(
        awaiting_shipment=int(row[0]), aftersales_pending_review=int(row[1]), awaiting_payment=int(row[2])
    )
