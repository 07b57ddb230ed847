"""Order action inputs refuse control characters (PostgreSQL refuses NUL; labels and timelines show the text)
with a 422 naming the field, on both databases; a waybill number is 4-40 letters, digits and dashes."""

from __future__ import annotations

from sqlalchemy import select

from qingmall.orders import service
from qingmall.orders.models import Order, OrderEvent
from tests.factories import make_staff, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku, order_id_of, stock_of

SHIP = {"carrier_code": "SF", "carrier_name": "顺丰速运", "tracking_no": "SF1234567890"}
CONTROL = "不能包含换行或控制字符"


def _refusal(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["message"]


async def _paid_order(client, session, db) -> tuple[int, dict, str, int]:
    sku_id = await make_sku(session, stock=5, price=700)
    _, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, 1)])
    order_id = await order_id_of(db, order["order_no"])
    await service.mark_paid(session, order_id, paid_amount=700, payment_ref="wx-inputs")
    return sku_id, headers, order["order_no"], order_id


async def test_cancel_reasons_refuse_control_characters(client, session, db):
    sku_id = await make_sku(session, stock=5)
    _, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, 2)])
    staff = staff_headers(await make_staff(session))
    shopper_url = f"/api/v1/orders/{order['order_no']}/cancel"
    staff_url = f"/api/admin/v1/orders/{order['order_no']}/cancel"
    for reason in ("不想\x00要了", "换行\n不行", "\x07"):
        for url, who in ((shopper_url, headers), (staff_url, staff)):
            response = await client.post(url, headers=who, json={"reason": reason})
            assert _refusal(response) == (422, "invalid_input", f"参数不合法（reason）：{CONTROL}"), (url, reason)
    # nothing happened to the order
    assert await stock_of(db, sku_id) == 3
    async with db.sessionmaker() as check:
        assert await check.scalar(select(Order.status)) == "pending_payment"
    # a plain reason still works, stripped
    done = await client.post(shopper_url, headers=headers, json={"reason": "  不想要了  "})
    assert (done.status_code, done.json()["order"]["cancel_reason"]) == (200, "不想要了")


async def test_ship_fields_refuse_control_characters_and_odd_waybills(client, session, db):
    _, _, order_no, order_id = await _paid_order(client, session, db)
    staff = staff_headers(await make_staff(session, role="warehouse"))
    url = f"/api/admin/v1/orders/{order_no}/ship"
    cases = [
        ({"carrier_name": "顺丰\x00速运"}, "carrier_name", CONTROL),
        ({"carrier_name": "顺丰\t速运"}, "carrier_name", CONTROL),
        ({"carrier_code": "S\x00F"}, "carrier_code", CONTROL),
        ({"tracking_no": "SF123\x00456"}, "tracking_no", CONTROL),
        ({"tracking_no": "S" * 41}, "tracking_no", "长度不能超过 40 个字符"),
        ({"tracking_no": "SF1"}, "tracking_no", "长度不能少于 4 个字符"),
        ({"tracking_no": "SF 123456"}, "tracking_no", "格式不正确"),
        ({"tracking_no": "顺丰123456"}, "tracking_no", "格式不正确"),
    ]
    for change, field, message in cases:
        response = await client.post(url, headers=staff, json={**SHIP, **change})
        assert _refusal(response) == (422, "invalid_input", f"参数不合法（{field}）：{message}"), change
    async with db.sessionmaker() as check:
        assert await check.scalar(select(Order.status).where(Order.id == order_id)) == "paid"
    # the longest sane waybill, with dashes, is taken; surrounding whitespace is stripped
    waybill = "JD-" + "0" * 37
    shipped = await client.post(url, headers=staff, json={**SHIP, "tracking_no": f" {waybill}\n"})
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["order"]["logistics"]["tracking_no"] == waybill
    async with db.sessionmaker() as check:
        note = await check.scalar(select(OrderEvent.note).where(OrderEvent.event == "shipped"))
        assert note == f"顺丰速运 {waybill}"


async def test_admin_order_search_refuses_control_characters(client, session):
    staff = staff_headers(await make_staff(session))
    for query, field in (("keyword=%E5%BC%A0%00", "keyword"), ("cursor=ab%00c", "cursor")):
        response = await client.get(f"/api/admin/v1/orders?{query}", headers=staff)
        assert _refusal(response) == (422, "invalid_input", f"参数不合法（{field}）：{CONTROL}"), query
    ok = await client.get("/api/admin/v1/orders?keyword=%20%E5%BC%A0%20", headers=staff)
    assert (ok.status_code, ok.json()["items"]) == (200, [])
