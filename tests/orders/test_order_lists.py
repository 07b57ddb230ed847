"""Order lists: shopper tabs with cursor pages and badge counts; merchant filters."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from qingmall.catalog.models import Sku
from qingmall.core import clock
from qingmall.orders import service
from qingmall.orders.models import Order
from tests.factories import make_product, make_staff, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku


async def _pay(session, order_no: str, amount: int) -> None:
    order_id = await session.scalar(select(Order.id).where(Order.order_no == order_no))
    await service.mark_paid(session, order_id, paid_amount=amount, payment_ref=f"pay-{order_no}")


async def test_shopper_tabs_pages_and_counts(client, session):
    sku_id = await make_sku(session, price=100, stock=50)
    _, headers, address_id = await make_buyer(session)
    placed = []
    for quantity in (1, 2, 3, 4):
        placed.append((await create_order(client, headers, address_id, [(sku_id, quantity)]))["order_no"])
        clock.advance(timedelta(seconds=1))
    await _pay(session, placed[1], 200)
    await client.post(f"/api/v1/orders/{placed[2]}/cancel", headers=headers)
    # newest first, two per page
    page1 = (await client.get("/api/v1/orders?limit=2", headers=headers)).json()
    page2 = (await client.get(f"/api/v1/orders?limit=2&cursor={page1['next_cursor']}", headers=headers)).json()
    assert [o["order_no"] for o in page1["items"] + page2["items"]] == placed[::-1]
    assert page2["next_cursor"] is None
    card = page1["items"][0]
    assert {k: card[k] for k in ("status", "status_label", "item_count", "line_count", "payable_amount",
                                 "thumbnails", "first_title")} == {
        "status": "pending_payment", "status_label": "待付款", "item_count": 4, "line_count": 1,
        "payable_amount": 400, "thumbnails": ["/media/test.png"], "first_title": "测试商品",
    }
    # tabs
    paid = (await client.get("/api/v1/orders?status=paid", headers=headers)).json()["items"]
    assert [(o["order_no"], o["status_label"]) for o in paid] == [(placed[1], "待发货")]
    cancelled = (await client.get("/api/v1/orders?status=cancelled", headers=headers)).json()["items"]
    assert [o["order_no"] for o in cancelled] == [placed[2]]
    assert (await client.get("/api/v1/orders?status=lost", headers=headers)).status_code == 422
    assert (await client.get("/api/v1/orders?cursor=%%%", headers=headers)).json()["code"] == "invalid_cursor"
    # badges
    counts = (await client.get("/api/v1/orders/counts", headers=headers)).json()
    assert counts == {"pending_payment": 2, "paid": 1, "shipped": 0, "completed": 0, "cancelled": 1, "refunding": 0}


async def test_merchant_filters(client, session):
    tea = await make_product(session, title="西湖龙井 明前特级", skus=[{"price": 30000, "stock": 10}])
    tea_id = tea.id
    cup = await make_sku(session, price=500, stock=10)
    tea_sku = await session.scalar(select(Sku.id).where(Sku.spu_id == tea_id))
    await session.rollback()
    alice, alice_headers, alice_address = await make_buyer(session)
    alice_id = alice.id
    _, bob_headers, bob_address = await make_buyer(session)
    first = await create_order(client, alice_headers, alice_address, [(tea_sku, 1)])
    second = await create_order(client, bob_headers, bob_address, [(cup, 2)])
    # the first order was placed two days earlier
    await session.execute(
        update(Order).where(Order.order_no == first["order_no"]).values(created_at=clock.now() - timedelta(days=2))
    )
    await session.commit()
    await _pay(session, second["order_no"], 1000)
    staff = staff_headers(await make_staff(session, role="customer_service"))

    async def numbers(query: str) -> list[str]:
        response = await client.get(f"/api/admin/v1/orders{query}", headers=staff)
        assert response.status_code == 200, response.text
        return [o["order_no"] for o in response.json()["items"]]

    assert await numbers("") == [second["order_no"], first["order_no"]]
    assert await numbers("?status=paid") == [second["order_no"]]
    assert await numbers(f"?order_no={first['order_no']}") == [first["order_no"]]
    assert await numbers(f"?shopper_id={alice_id}") == [first["order_no"]]
    assert await numbers("?keyword=龙井") == [first["order_no"]]
    assert await numbers("?keyword=%25") == []
    first_day = clock.to_shanghai(clock.now() - timedelta(days=2)).date().isoformat()
    assert await numbers(f"?created_from={first_day}&created_to={first_day}") == [first["order_no"]]
    assert await numbers(f"?created_from={first_day}") == [second["order_no"], first["order_no"]]
    listed = (await client.get("/api/admin/v1/orders?limit=1", headers=staff)).json()
    assert listed["items"][0]["recipient_name"] == "张三"
    more = (await client.get(f"/api/admin/v1/orders?limit=1&cursor={listed['next_cursor']}", headers=staff)).json()
    assert [o["order_no"] for o in more["items"]] == [first["order_no"]]
    bad = await client.get("/api/admin/v1/orders?created_from=2026-02-01&created_to=2026-01-01", headers=staff)
    assert bad.status_code == 422
    assert (await client.get("/api/admin/v1/orders?stauts=paid", headers=staff)).status_code == 422
    assert (await client.get("/api/admin/v1/orders", headers=bob_headers)).status_code == 401
