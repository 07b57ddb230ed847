"""Refund only (仅退款): before shipping the whole order comes back with its shipping fee and stock; after
shipping the goods stay out and the order returns to where it was."""

from __future__ import annotations

from sqlalchemy import func, select

from qingmall.inventory.models import StockMovement
from tests.aftersales.aftersales_testkit import (
    admin,
    after_sale_row,
    balance,
    file,
    order_row,
    owner,
    paid_order,
    refunded_quantities,
    sales,
    use_discount,
)


async def test_refund_only_of_a_whole_unshipped_order_refunds_everything_and_puts_stock_back(
    client, session, db, monkeypatch
):
    # given an order of 3 x 10.00 and 1 x 5.00 with a 1.00 discount and 8.00 shipping, paid from the balance
    use_discount(monkeypatch, 100)
    order = await paid_order(client, session, db, [(1000, 3), (500, 1)], stock=10, shipping_fee=800)
    assert order.detail["payable_amount"] == 3000 + 500 - 100 + 800
    payables = [line["payable_amount"] for line in order.lines]
    assert sum(payables) == 3400
    staff = await owner(session)
    assert await balance(db, order.shopper_id) == 0
    assert await sales(db, order.sku_ids[0]) == (7, 3, 3)
    # when the shopper asks for every unit back before shipping
    after_sale = await file(client, order, "refund_only", [(order.line_id(0), 3), (order.line_id(1), 1)])
    # then the order is in after-sales and the quote includes the shipping fee
    assert (after_sale["status"], after_sale["goods_refund"], after_sale["shipping_refund"]) == (
        "pending_review",
        3400,
        800,
    )
    assert after_sale["refund_amount"] == 4200
    assert (await order_row(db, order.order_id)).status == "refunding"
    # when the merchant approves
    approved = await admin(client, staff, after_sale["after_sale_no"], "approve", {"note": "同意退款"})
    # then the balance refund settles at once, the order is refunded, stock and sales are back
    body = approved["after_sale"]
    assert (approved["already"], body["status"], body["refund_state"], body["stock_returned"]) == (
        False,
        "refunded",
        "succeeded",
        True,
    )
    assert [(e["event"], e["to_status"], e["actor_type"]) for e in body["timeline"]] == [
        ("submitted", "pending_review", "shopper"),
        ("approved", "approved", "staff"),
        ("refund_started", "refunding", "system"),
        ("refunded", "refunded", "system"),
    ]
    assert [(r["channel"], r["amount"], r["status"]) for r in body["refunds"]] == [("balance", 4200, "success")]
    assert await balance(db, order.shopper_id) == 4200
    final = await order_row(db, order.order_id)
    assert (final.status, final.status_before_after_sale) == ("refunded", "paid")
    assert await refunded_quantities(db, order.order_id) == [3, 1]
    assert await sales(db, order.sku_ids[0]) == (10, 0, 0)
    assert await sales(db, order.sku_ids[1]) == (10, 0, 0)
    async with db.sessionmaker() as s:
        returned = await s.scalar(
            select(func.sum(StockMovement.delta)).where(
                StockMovement.reason == "return", StockMovement.ref_id == after_sale["after_sale_no"]
            )
        )
    assert returned == 4
    # and the shopper's order shows the after-sale in its timeline; nothing more can be asked
    detail = (await client.get(f"/api/v1/orders/{order.order_no}", headers=order.headers)).json()
    assert (detail["status"], detail["status_label"]) == ("refunded", "已退款")
    assert [e["event"] for e in detail["timeline"]][-2:] == ["after_sale_opened", "refunded"]
    again = await file(client, order, "refund_only", [(order.line_id(0), 1)], expect=409)
    assert (again["code"], again["message"]) == ("invalid_order_state", "订单已全部退款，不能再申请售后")
    assert (await after_sale_row(db, after_sale["after_sale_no"])).refund_amount == 4200
