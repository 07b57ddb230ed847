"""The merchant's shopper list and detail carry what each shopper bought (paid orders, paid total, newest
order) and their balance, computed for a whole page in a fixed number of queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from qingmall.orders.models import Order
from qingmall.wallet import service as wallet
from tests.factories import counted_selects, make_shopper, make_staff, staff_headers


async def add_order(session, shopper, *, paid: int | None, created: datetime, status: str = "paid") -> Order:
    order = Order(
        order_no=uuid.uuid4().hex[:20],
        shopper_id=shopper.id,
        status=status,
        idempotency_key=uuid.uuid4().hex,
        goods_amount=paid or 1000,
        payable_amount=paid or 1000,
        paid_amount=paid or 0,
        paid_at=created if paid is not None else None,
        created_at=created,
    )
    session.add(order)
    await session.commit()
    return order


async def test_list_and_detail_show_orders_spent_and_balance(client, session):
    owner = await make_staff(session, role="owner")
    headers = staff_headers(owner)
    buyer = await make_shopper(session, nickname="买家")
    browser = await make_shopper(session, nickname="只逛不买")
    await add_order(session, buyer, paid=8900, created=datetime(2026, 11, 1, 2, 0, tzinfo=UTC))
    await add_order(session, buyer, paid=1250, created=datetime(2026, 11, 3, 2, 0, tzinfo=UTC), status="completed")
    await add_order(
        session, buyer, paid=None, created=datetime(2026, 11, 5, 6, 30, tzinfo=UTC), status="pending_payment"
    )
    await wallet.adjust_balance(session, buyer.id, 500, "补偿运费", owner.id)

    page = (await client.get("/api/admin/v1/shoppers", headers=headers)).json()
    rows = {row["id"]: row for row in page["items"]}
    assert {k: rows[buyer.id][k] for k in ("paid_order_count", "paid_total", "last_order_at", "balance")} == {
        "paid_order_count": 2,
        "paid_total": 10150,
        "last_order_at": "2026-11-05T06:30:00Z",
        "balance": 500,
    }
    assert {k: rows[browser.id][k] for k in ("paid_order_count", "paid_total", "last_order_at", "balance")} == {
        "paid_order_count": 0,
        "paid_total": 0,
        "last_order_at": None,
        "balance": 0,
    }
    searched = (await client.get("/api/admin/v1/shoppers", headers=headers, params={"q": "买家"})).json()["items"]
    assert searched == [rows[buyer.id]]  # a search carries the same numbers
    detail = (await client.get(f"/api/admin/v1/shoppers/{buyer.id}", headers=headers)).json()
    assert (detail["paid_order_count"], detail["paid_total"], detail["balance"]) == (2, 10150, 500)


async def test_a_page_costs_two_queries_whatever_its_size(session, db):
    from qingmall.shoppers import service

    shoppers = [await make_shopper(session) for _ in range(6)]
    for index, shopper in enumerate(shoppers):
        await add_order(session, shopper, paid=100 * (index + 1), created=datetime(2026, 11, 1, tzinfo=UTC))
    with counted_selects(db) as statements:
        page = await service.admin_list_shoppers(session, limit=5)
    assert [item.paid_total for item in page.items] == [600, 500, 400, 300, 200]
    assert len(statements) == 2
