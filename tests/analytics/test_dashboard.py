"""The merchant's dashboard: sales of Beijing days net of successful refunds, orders, paying shoppers, average
order value, top products and the work queue, built from orders placed, paid, cancelled and refunded through
the real routes while the test clock moves over the days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from qingmall.analytics import queries
from qingmall.catalog.models import Sku
from qingmall.core import clock
from qingmall.core.clock import SHANGHAI
from tests.aftersales.aftersales_testkit import admin, fund, paid_order, ship
from tests.factories import counted_selects, make_staff, shopper_headers, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku

ZERO = {"sales_fen": 0, "refunds_fen": 0, "orders": 0, "shoppers": 0, "average_order_fen": 0}


def move_to_beijing(hour: int, minute: int = 0) -> None:
    """Move the test clock forward to the next ``hour:minute`` Beijing time."""
    now = clock.now().astimezone(SHANGHAI)
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    clock.advance(target - now)


def beijing_today() -> date:
    return clock.now().astimezone(SHANGHAI).date()


def figures(sales: int, refunds: int, orders: int, shoppers: int, average: int) -> dict[str, int]:
    return {
        "sales_fen": sales,
        "refunds_fen": refunds,
        "orders": orders,
        "shoppers": shoppers,
        "average_order_fen": average,
    }


async def product(session, title: str, price: int) -> tuple[int, int]:
    """A product with one SKU: ``(sku_id, spu_id)``."""
    sku_id = await make_sku(session, price=price, stock=50, spu_fields={"title": title})
    spu_id = await session.scalar(select(Sku.spu_id).where(Sku.id == sku_id))
    await session.rollback()
    return sku_id, spu_id


async def buy(client, db, buyer, items: list[tuple[int, int]], *, pay: bool = True) -> dict:
    """An order of ``buyer = (shopper, _, address_id)``, paid from the balance unless ``pay`` is false."""
    shopper, _, address_id = buyer
    headers = shopper_headers(shopper)  # fresh: the clock may have moved past an older token
    order = await create_order(client, headers, address_id, items)
    if pay:
        await fund(db, shopper.id, order["payable_amount"])
        paid = await client.post(f"/api/v1/orders/{order['order_no']}/pay/balance", headers=headers)
        assert paid.status_code == 200, paid.text
    return order


async def owner_headers(session) -> dict[str, str]:
    return staff_headers(await make_staff(session, role="owner"))


async def get_dashboard(client, headers, days: int) -> dict:
    response = await client.get("/api/admin/v1/dashboard", params={"days": days}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def top(rows: list[dict]) -> list[tuple[int, str, int, int]]:
    return [(row["spu_id"], row["title"], row["units"], row["sales_fen"]) for row in rows]


async def test_figures_count_paid_orders_of_beijing_days_net_of_successful_refunds(client, session, db):
    move_to_beijing(10)
    sku1, spu1 = await product(session, "保温杯", 5000)
    sku2, spu2 = await product(session, "帆布袋", 1200)
    sku3, spu3 = await product(session, "书签", 801)
    sku4, spu4 = await product(session, "贴纸", 300)
    first, second, third, fourth, fifth = [await make_buyer(session) for _ in range(5)]

    # given 8 days ago: the first shopper paid 50.00 for one 保温杯, since shipped
    eight_days_ago = beijing_today()
    order_a = await buy(client, db, first, [(sku1, 1)])
    await ship(client, await owner_headers(session), order_a["order_no"])
    # yesterday: the second shopper paid 39.00 for 3 帆布袋 and 1 贴纸
    clock.advance(timedelta(days=7))
    order_b = await buy(client, db, second, [(sku2, 3), (sku4, 1)])
    # today: the first shopper again (2 保温杯, 100.00), the third (帆布袋 + 书签, 20.01), the fourth paid
    # 40.05 for 5 书签 and the merchant cancelled it, the fifth has not paid yet
    clock.advance(timedelta(days=1))
    today = beijing_today()
    assert (today - eight_days_ago).days == 8
    staff = await owner_headers(session)
    await buy(client, db, first, [(sku1, 2)])
    order_d = await buy(client, db, third, [(sku2, 1), (sku3, 1)])
    order_e = await buy(client, db, fourth, [(sku3, 5)])
    cancelled = await client.post(
        f"/api/admin/v1/orders/{order_e['order_no']}/cancel", headers=staff, json={"reason": "缺货"}
    )
    assert cancelled.status_code == 200, cancelled.text
    await buy(client, db, fifth, [(sku1, 1)], pay=False)
    # and today yesterday's order got 1 帆布袋 and the 贴纸 refunded (15.00) ...
    headers_b = shopper_headers(second[0])
    lines_b = {line["sku_id"]: line["id"] for line in order_b["lines"]}
    refund = await client.post(
        f"/api/v1/orders/{order_b['order_no']}/after-sales",
        headers=headers_b,
        json={
            "kind": "refund_only",
            "lines": [{"order_line_id": lines_b[sku2], "quantity": 1}, {"order_line_id": lines_b[sku4], "quantity": 1}],
            "reason_code": "no_longer_needed",
            "description": "",
            "photos": [],
            "idempotency_key": "dashboard-refund-b",
        },
    )
    assert refund.status_code == 201, refund.text
    assert refund.json()["refund_amount"] == 1500
    approved = await admin(client, staff, refund.json()["after_sale_no"], "approve")
    assert approved["after_sale"]["status"] == "refunded"
    # ... while the third shopper's request for the 书签 still waits for review
    lines_d = {line["sku_id"]: line["id"] for line in order_d["lines"]}
    waiting = await client.post(
        f"/api/v1/orders/{order_d['order_no']}/after-sales",
        headers=shopper_headers(third[0]),
        json={
            "kind": "refund_only",
            "lines": [{"order_line_id": lines_d[sku3], "quantity": 1}],
            "reason_code": "no_longer_needed",
            "description": "",
            "photos": [],
            "idempotency_key": "dashboard-waiting-d",
        },
    )
    assert waiting.status_code == 201, waiting.text

    # when the merchant opens the 7-day dashboard
    week = await get_dashboard(client, staff, 7)

    # then today has the first and third shoppers' orders (120.01, average 60.005 rounded up to 60.01)
    assert week["days"] == 7
    assert week["today_date"] == today.isoformat()
    assert week["today"] == figures(sales=12001, refunds=0, orders=2, shoppers=2, average=6001)
    # yesterday's sales lost the refund made today
    assert week["yesterday"] == figures(sales=2400, refunds=1500, orders=1, shoppers=1, average=2400)
    assert week["totals"] == figures(sales=14401, refunds=1500, orders=3, shoppers=3, average=4800)
    assert [day["date"] for day in week["series"]] == [(today - timedelta(days=6 - i)).isoformat() for i in range(7)]
    assert [{k: v for k, v in day.items() if k != "date"} for day in week["series"][:5]] == [ZERO] * 5
    assert week["series"][-2]["sales_fen"] == 2400
    assert week["series"][-1]["sales_fen"] == 12001
    # the top products are net of refunds; the refunded 贴纸 and the cancelled 书签 do not count
    assert top(week["top_by_units"]) == [(spu2, "帆布袋", 3, 3600), (spu1, "保温杯", 2, 10000), (spu3, "书签", 1, 801)]
    assert top(week["top_by_sales"]) == [(spu1, "保温杯", 2, 10000), (spu2, "帆布袋", 3, 3600), (spu3, "书签", 1, 801)]
    # the queue: yesterday's and the first shopper's orders await shipping (order D is in after-sales)
    assert week["queue"] == {"awaiting_shipment": 2, "aftersales_pending_review": 1, "awaiting_payment": 1}

    # when the merchant switches to 30 days, then 8 days ago appears, and the first shopper counts once
    month = await get_dashboard(client, staff, 30)
    assert len(month["series"]) == 30
    assert month["series"][0]["date"] == (today - timedelta(days=29)).isoformat()
    by_date = {day["date"]: {k: v for k, v in day.items() if k != "date"} for day in month["series"]}
    assert by_date[eight_days_ago.isoformat()] == figures(sales=5000, refunds=0, orders=1, shoppers=1, average=5000)
    busy = {eight_days_ago.isoformat(), (today - timedelta(days=1)).isoformat(), today.isoformat()}
    assert all(figures_ == ZERO for day, figures_ in by_date.items() if day not in busy)
    assert month["totals"] == figures(sales=19401, refunds=1500, orders=4, shoppers=3, average=4850)
    assert (month["today"], month["yesterday"]) == (week["today"], week["yesterday"])
    assert top(month["top_by_units"]) == [(spu1, "保温杯", 3, 15000), (spu2, "帆布袋", 3, 3600), (spu3, "书签", 1, 801)]
    assert top(month["top_by_sales"]) == top(month["top_by_units"])
    assert spu4 not in {row["spu_id"] for row in month["top_by_units"] + month["top_by_sales"]}


async def test_days_follow_beijing_midnight_not_utc(client, session, db):
    # given an order paid at 00:10 Beijing time (16:10 UTC the day before)
    move_to_beijing(0, 10)
    assert clock.now().astimezone(UTC).hour == 16
    sku, _ = await product(session, "保温杯", 5000)
    await buy(client, db, await make_buyer(session), [(sku, 1)])
    # then it is today's order
    dashboard = await get_dashboard(client, await owner_headers(session), 7)
    assert (dashboard["today"]["orders"], dashboard["yesterday"]["orders"]) == (1, 0)
    # given another paid at 23:50 the same Beijing day
    move_to_beijing(23, 50)
    await buy(client, db, await make_buyer(session), [(sku, 1)])
    assert (await get_dashboard(client, await owner_headers(session), 7))["today"]["orders"] == 2
    # when Beijing midnight passes (15:00 UTC, a UTC day in the middle of its afternoon)
    move_to_beijing(0, 5)
    dashboard = await get_dashboard(client, await owner_headers(session), 7)
    # then both are yesterday's
    assert dashboard["today"] == ZERO
    assert dashboard["yesterday"] == figures(sales=10000, refunds=0, orders=2, shoppers=2, average=5000)


async def test_an_empty_shop_gets_zeros_for_every_day(client, session):
    dashboard = await get_dashboard(client, await owner_headers(session), 30)
    assert len(dashboard["series"]) == 30
    assert all({k: v for k, v in day.items() if k != "date"} == ZERO for day in dashboard["series"])
    assert dashboard["totals"] == dashboard["today"] == dashboard["yesterday"] == ZERO
    assert (dashboard["top_by_units"], dashboard["top_by_sales"]) == ([], [])
    assert dashboard["queue"] == {"awaiting_shipment": 0, "aftersales_pending_review": 0, "awaiting_payment": 0}
    assert datetime.fromisoformat(dashboard["generated_at"]).tzinfo is not None


async def test_the_dashboard_costs_five_queries_whatever_the_orders(client, session, db):
    move_to_beijing(10)
    for price in (100, 200, 300):
        order = await paid_order(client, session, db, [(price, 2)])
        assert order.order_no
    with counted_selects(db) as statements:
        async with db.sessionmaker() as s:
            dashboard = await queries.dashboard(s, 30)
    assert (dashboard.today.orders, dashboard.today.sales_fen, len(dashboard.top_by_units)) == (3, 1200, 3)
    assert len(statements) == 5


async def test_only_7_or_30_days_and_only_roles_that_read_reports(client, session):
    owner = await owner_headers(session)
    for days in ("14", "0", "abc"):
        response = await client.get("/api/admin/v1/dashboard", params={"days": days}, headers=owner)
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["code"] == "invalid_input" and body["message"]
    assert (await client.get("/api/admin/v1/dashboard", headers=owner)).json()["days"] == 7
    warehouse = staff_headers(await make_staff(session, role="warehouse"))
    denied = await client.get("/api/admin/v1/dashboard", headers=warehouse)
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert denied.json()["message"] == "当前角色没有权限：查看经营数据（首页看板）"
    operator = staff_headers(await make_staff(session, role="operator"))
    assert (await client.get("/api/admin/v1/dashboard", headers=operator)).status_code == 200
    assert (await client.get("/api/admin/v1/dashboard")).status_code == 401
