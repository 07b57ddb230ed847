"""Return and refund (退货退款): partial amounts exact to the fen, stock back only for received returns, the
order back where it was with time left to confirm, and every unit refunded ends the order ``refunded``."""

from __future__ import annotations

from datetime import datetime, timedelta

from qingmall.core import clock
from qingmall.orders import service as orders_service
from tests.aftersales.aftersales_testkit import (
    RETURN,
    admin,
    balance,
    complete,
    file,
    order_row,
    owner,
    paid_order,
    refunded_quantities,
    sales,
    ship,
    use_discount,
)


async def test_return_of_one_of_three_units_refunds_its_share_to_the_fen_and_the_rest_later(
    client, session, db, monkeypatch
):
    # given 3 x 10.00 with a 1.00 discount (line payable 29.00: units worth 9.67, 9.67, 9.66) and 6.00 shipping,
    # shipped
    use_discount(monkeypatch, 100)
    order = await paid_order(client, session, db, [(1000, 3)], stock=5, shipping_fee=600)
    assert order.lines[0]["payable_amount"] == 2900
    staff = await owner(session)
    shipped = await ship(client, staff, order.order_no)
    auto_complete_at = datetime.fromisoformat(shipped["auto_complete_at"])
    # when two days later the shopper returns 1 unit
    clock.advance(timedelta(days=2))
    order.refresh_token()
    staff = await owner(session)
    preview = await client.post(
        f"/api/v1/orders/{order.order_no}/after-sales/preview",
        headers=order.headers,
        json={"kind": "return_refund", "lines": [{"order_line_id": order.line_id(), "quantity": 1}]},
    )
    assert preview.status_code == 200, preview.text
    assert preview.json() == {
        "kind": "return_refund",
        "lines": [
            {
                "order_line_id": order.line_id(),
                "title": "测试商品",
                "spec_text": "",
                "image_url": "/media/test.png",
                "thumbnail_url": "/media/test.png",
                "quantity": 1,
                "refundable_quantity": 3,
                "amount": 967,
            }
        ],
        "goods_refund": 967,
        "shipping_refund": 0,
        "refund_amount": 967,
    }
    first = await file(client, order, "return_refund", [(order.line_id(), 1)], description="杯子有裂纹")
    assert (first["refund_amount"], first["can_withdraw"], first["can_submit_return"]) == (967, True, False)
    approved = await admin(client, staff, first["after_sale_no"], "approve", {"note": "请寄回：上海市黄浦区 1 号 王五"})
    assert (approved["after_sale"]["status"], approved["after_sale"]["merchant_note"]) == (
        "approved",
        "请寄回：上海市黄浦区 1 号 王五",
    )
    # the goods have not arrived: nothing goes back yet
    early = await admin(client, staff, first["after_sale_no"], "confirm-received", expect=409)
    assert (early["code"], early["message"]) == ("invalid_after_sale_state", "顾客尚未寄回商品，不能确认收货")
    returned = await client.post(
        f"/api/v1/after-sales/{first['after_sale_no']}/return-shipping", headers=order.headers, json=RETURN
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["after_sale"]["status"] == "returning"
    assert returned.json()["after_sale"]["return_shipping"]["tracking_no"] == "YT9876543210"
    assert await sales(db, order.sku_ids[0]) == (2, 3, 3)
    # when the parcel takes 3 days to reach the merchant, who then confirms it
    clock.advance(timedelta(days=3))
    order.refresh_token()
    staff = await owner(session)
    received = await admin(client, staff, first["after_sale_no"], "confirm-received")
    # then 9.67 is refunded, one unit is back on sale, and the order is shipped again with the 5 days it had
    # left when the after-sale opened (the clock stood still meanwhile)
    assert (received["after_sale"]["status"], received["after_sale"]["stock_returned"]) == ("refunded", True)
    assert await balance(db, order.shopper_id) == 967
    assert await sales(db, order.sku_ids[0]) == (3, 2, 2)
    assert await refunded_quantities(db, order.order_id) == [1]
    row = await order_row(db, order.order_id)
    assert row.status == "shipped"
    assert timedelta(days=5) - timedelta(seconds=30) <= row.auto_complete_at - clock.now() <= timedelta(days=5)
    assert row.auto_complete_at - auto_complete_at > timedelta(days=3) - timedelta(seconds=30)
    # when the shopper then completes the order and returns the other two units
    await complete(client, order)
    second = await file(client, order, "return_refund", [(order.line_id(), 2)])
    assert second["refund_amount"] == 967 + 966
    await admin(client, staff, second["after_sale_no"], "approve")
    await client.post(
        f"/api/v1/after-sales/{second['after_sale_no']}/return-shipping", headers=order.headers, json=RETURN
    )
    await admin(client, staff, second["after_sale_no"], "confirm-received")
    # then the line's payable is back to the fen, the shipping fee is not, and the order is refunded
    assert await balance(db, order.shopper_id) == 2900
    assert await refunded_quantities(db, order.order_id) == [3]
    assert (await order_row(db, order.order_id)).status == "refunded"
    assert await sales(db, order.sku_ids[0]) == (5, 0, 0)


async def test_a_partial_return_of_a_completed_order_puts_it_back_to_completed(client, session, db):
    order = await paid_order(client, session, db, [(1000, 2), (700, 1)])
    staff = await owner(session)
    await ship(client, staff, order.order_no)
    completed = await complete(client, order)
    after_sale = await file(client, order, "return_refund", [(order.line_id(1), 1)])
    await admin(client, staff, after_sale["after_sale_no"], "approve")
    await client.post(
        f"/api/v1/after-sales/{after_sale['after_sale_no']}/return-shipping", headers=order.headers, json=RETURN
    )
    await admin(client, staff, after_sale["after_sale_no"], "confirm-received")
    row = await order_row(db, order.order_id)
    assert (row.status, row.completed_at.isoformat()) == ("completed", completed["completed_at"].replace("Z", "+00:00"))
    assert await refunded_quantities(db, order.order_id) == [0, 1]
    assert await balance(db, order.shopper_id) == 700


async def test_refund_only_after_shipping_keeps_the_stock_out(client, session, db):
    # given a shipped order of 2 units whose parcel never arrived
    order = await paid_order(client, session, db, [(1500, 2)], stock=4, shipping_fee=500)
    staff = await owner(session)
    await ship(client, staff, order.order_no)
    # when the shopper asks for money only, for everything
    after_sale = await file(client, order, "refund_only", [(order.line_id(), 2)], reason_code="not_received")
    # then the shipping fee is not refunded (the parcel was sent) and no stock comes back
    assert (after_sale["goods_refund"], after_sale["shipping_refund"]) == (3000, 0)
    done = await admin(client, staff, after_sale["after_sale_no"], "approve")
    assert (done["after_sale"]["status"], done["after_sale"]["stock_returned"]) == ("refunded", False)
    assert await sales(db, order.sku_ids[0]) == (2, 2, 2)
    assert (await order_row(db, order.order_id)).status == "refunded"
    assert await balance(db, order.shopper_id) == 3000


async def test_partial_refund_only_before_shipping_leaves_the_rest_to_ship(client, session, db):
    order = await paid_order(client, session, db, [(1000, 3)], stock=3, shipping_fee=800)
    staff = await owner(session)
    after_sale = await file(client, order, "refund_only", [(order.line_id(), 1)])
    assert (after_sale["refund_amount"], after_sale["shipping_refund"]) == (1000, 0)
    await admin(client, staff, after_sale["after_sale_no"], "approve")
    assert (await order_row(db, order.order_id)).status == "paid"
    assert await sales(db, order.sku_ids[0]) == (1, 2, 2)
    # the remaining two, still before shipping, bring the shipping fee with them
    rest = await file(client, order, "refund_only", [(order.line_id(), 2)])
    assert (rest["goods_refund"], rest["shipping_refund"]) == (2000, 800)
    await admin(client, staff, rest["after_sale_no"], "approve")
    assert await balance(db, order.shopper_id) == 3800
    assert (await order_row(db, order.order_id)).status == "refunded"


async def test_the_auto_complete_sweep_and_the_shopper_leave_a_refunding_order_alone(client, session, db):
    order = await paid_order(client, session, db, [(1000, 1)])
    staff = await owner(session)
    await ship(client, staff, order.order_no)
    await file(client, order, "return_refund", [(order.line_id(), 1)])
    confirm = await client.post(f"/api/v1/orders/{order.order_no}/confirm-receipt", headers=order.headers)
    assert (confirm.status_code, confirm.json()["code"]) == (409, "invalid_order_state")
    async with db.sessionmaker() as s:
        assert await orders_service.complete_due_orders(s, clock.now() + timedelta(days=30)) == 0
    assert (await order_row(db, order.order_id)).status == "refunding"
