"""The picking list (拣货单): per-SKU totals over the chosen orders and one section per order, phones masked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from qingmall.catalog.models import Sku
from qingmall.core import clock
from qingmall.orders import service
from qingmall.staff import permissions
from tests.factories import make_product, make_staff, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, order_id_of

URL = "/api/admin/v1/orders/picking-list"
UNKNOWN = "20990101000000000099"


async def _shop(client, session, db):
    """Tea (barcode 6901) and a cup (barcode 6902); three orders of one shopper, a minute apart:
    first = tea×2 + cup×1 (paid), second = tea×3 (paid), third = cup×1 (unpaid)."""
    tea = await make_product(
        session,
        title="西湖龙井",
        skus=[{"price": 3000, "stock": 50, "barcode": "6901", "spec_values": ["250g"]}],
        spec_dimensions=[{"name": "重量", "values": ["250g"]}],
    )
    cup = await make_product(session, title="玻璃杯", skus=[{"price": 500, "stock": 50, "barcode": "6902"}])
    tea_id, cup_id = tea.id, cup.id
    tea_sku = await session.scalar(select(Sku.id).where(Sku.spu_id == tea_id))
    cup_sku = await session.scalar(select(Sku.id).where(Sku.spu_id == cup_id))
    await session.rollback()
    _, headers, address_id = await make_buyer(session)
    placed = []
    for items, amount in (([(tea_sku, 2), (cup_sku, 1)], 6500), ([(tea_sku, 3)], 9000), ([(cup_sku, 1)], 0)):
        order = await create_order(client, headers, address_id, items)
        if amount:
            order_id = await order_id_of(db, order["order_no"])
            await service.mark_paid(session, order_id, paid_amount=order["payable_amount"], payment_ref=f"p{order_id}")
        placed.append(order["order_no"])
        clock.advance(timedelta(minutes=1))
    return tea_sku, cup_sku, placed


async def test_chosen_orders_in_the_order_given_with_sku_totals_and_masked_phones(client, session, db):
    tea_sku, cup_sku, (first, second, _third) = await _shop(client, session, db)
    staff = staff_headers(await make_staff(session, role="warehouse"))
    # when the warehouse prints the second and the first order (and a number that does not exist)
    response = await client.get(
        f"{URL}?order_no={second}&order_no={first}&order_no={UNKNOWN}&order_no={second}", headers=staff
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # then the SKU table adds up the quantities, and says in how many orders each SKU is
    assert [
        (s["sku_id"], s["barcode"], s["title"], s["spec_text"], s["quantity"], s["order_count"]) for s in body["skus"]
    ] == [
        (cup_sku, "6902", "玻璃杯", "", 1, 1),
        (tea_sku, "6901", "西湖龙井", "重量:250g", 5, 2),
    ]
    assert body["total_quantity"] == 6
    assert body["next_cursor"] is None
    # one section per known order, in the order asked, the unknown number left out
    assert [(o["order_no"], o["status"], o["item_count"]) for o in body["orders"]] == [
        (second, "paid", 3),
        (first, "paid", 3),
    ]
    section = body["orders"][1]
    assert [(line["sku_id"], line["quantity"]) for line in section["lines"]] == [(tea_sku, 2), (cup_sku, 1)]
    assert (section["recipient_name"], section["phone_masked"]) == ("张三", "138****8000")
    assert "建国路 88 号" in section["full_address"]
    assert "13800138000" not in response.text


async def test_without_numbers_the_list_filters_choose_the_orders(client, session, db):
    tea_sku, cup_sku, (first, second, third) = await _shop(client, session, db)
    staff = staff_headers(await make_staff(session, role="warehouse"))
    paid = (await client.get(f"{URL}?status=paid", headers=staff)).json()
    assert [o["order_no"] for o in paid["orders"]] == [second, first]
    assert [(s["sku_id"], s["quantity"]) for s in paid["skus"]] == [(cup_sku, 1), (tea_sku, 5)]
    everything = (await client.get(URL, headers=staff)).json()
    assert [o["order_no"] for o in everything["orders"]] == [third, second, first]
    # a page of the filtered orders, then the rest
    page = (await client.get(f"{URL}?status=all&limit=2", headers=staff)).json()
    assert [o["order_no"] for o in page["orders"]] == [third, second]
    rest = (await client.get(f"{URL}?limit=2&cursor={page['next_cursor']}", headers=staff)).json()
    assert ([o["order_no"] for o in rest["orders"]], rest["next_cursor"]) == ([first], None)
    assert (await client.get(f"{URL}?keyword=龙井&status=paid", headers=staff)).json()["total_quantity"] == 6
    none = (await client.get(f"{URL}?order_no={UNKNOWN}", headers=staff)).json()
    assert none == {"skus": [], "orders": [], "total_quantity": 0, "next_cursor": None}


async def test_bad_picking_list_queries_are_422(client, session):
    staff = staff_headers(await make_staff(session, role="warehouse"))
    for query, code in (
        ("order_no=12-34", "invalid_input"),
        ("limit=201", "invalid_input"),
        ("stauts=paid", "invalid_input"),
        ("created_from=2026-02-01&created_to=2026-01-01", "invalid_input"),
        ("phone=1380013", "phone_not_exact"),
    ):
        response = await client.get(f"{URL}?{query}", headers=staff)
        assert (response.status_code, response.json()["code"]) == (422, code), query
    many = "&".join(f"order_no={20260101000000000000 + n}" for n in range(201))
    assert (await client.get(f"{URL}?{many}", headers=staff)).status_code == 422


async def test_the_picking_list_needs_orders_read(client, session, monkeypatch):
    # given a role that may adjust stock but not see orders
    monkeypatch.setitem(
        permissions.ROLES, "stock_keeper", {"label": "库管", "permissions": frozenset({"inventory.write"})}
    )
    keeper = staff_headers(await make_staff(session, role="stock_keeper"))
    response = await client.get(URL, headers=keeper)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert (await client.get(URL)).status_code == 401
    assert (
        await client.get(URL, headers=staff_headers(await make_staff(session, role="customer_service")))
    ).status_code == 200
