"""Order state machine: legal moves, clear refusals, repeated actions as no-ops, side effects exactly once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from qingmall.catalog.models import Sku, Spu
from qingmall.core import clock
from qingmall.core.errors import Conflict
from qingmall.orders import service, states
from qingmall.orders.models import Order
from tests.factories import make_staff, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku, movements, stock_of

SHIP = {"carrier_code": "SF", "carrier_name": "顺丰速运", "tracking_no": "SF1234567890"}


@pytest.mark.parametrize(
    ("status", "action", "actor", "message"),
    [
        ("shipped", "cancel", "shopper", "订单已发货，不能取消"),
        ("paid", "cancel", "shopper", "订单已付款，不能直接取消，请联系商家或申请退款"),
        ("pending_payment", "ship", "staff", "订单未付款，不能发货"),
        ("cancelled", "pay", "system", "订单已取消，不能支付"),
        ("completed", "cancel", "staff", "订单已完成，不能取消"),
        ("paid", "complete", "shopper", "订单尚未发货，不能确认收货"),
        ("refunding", "ship", "staff", "订单正在退款，不能发货"),
    ],
)
def test_illegal_transitions_explain_themselves(status, action, actor, message):
    with pytest.raises(states.InvalidOrderState) as caught:
        states.resolve(status, action, actor)
    assert (caught.value.code, caught.value.message, caught.value.status_code) == (
        "invalid_order_state", message, 409,
    )


def test_transition_table():
    assert states.resolve("pending_payment", "pay", "system") == "paid"
    assert states.resolve("pending_payment", "cancel", "shopper") == "cancelled"
    assert states.resolve("paid", "cancel", "staff") == "cancelled"
    assert states.resolve("paid", "ship", "staff") == "shipped"
    assert states.resolve("shipped", "complete", "system") == "completed"
    assert states.resolve("cancelled", "cancel", "shopper") is None
    assert states.resolve("completed", "complete", "shopper") is None
    assert not any(t.to_status in ("refunding", "refunded") for t in states.TRANSITIONS.values())
    assert not any(status in ("refunding", "refunded") for status, _ in states.TRANSITIONS)


async def _paid_order(client, session, *, stock=10, quantity=2, price=1500):
    sku_id = await make_sku(session, stock=stock, price=price)
    _, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, quantity)])
    order_id = await session.scalar(select(Order.id).where(Order.order_no == order["order_no"]))
    await session.rollback()
    return sku_id, headers, order, order_id


async def test_mark_paid_checks_amount_records_sales_once_and_is_idempotent(client, session, db):
    sku_id, _, _, order_id = await _paid_order(client, session)
    # a wrong amount is refused
    with pytest.raises(Conflict) as caught:
        await service.mark_paid(session, order_id, paid_amount=2999, payment_ref="wx-1")
    assert caught.value.code == "amount_mismatch"
    await session.rollback()
    # the right one pays
    first = await service.mark_paid(session, order_id, paid_amount=3000, payment_ref="wx-1")
    assert (first.from_status, first.to_status, first.already) == ("pending_payment", "paid", False)
    # the same callback again is a no-op
    again = await service.mark_paid(session, order_id, paid_amount=3000, payment_ref="wx-1")
    assert again.already is True
    # another payment for the same order is refused
    with pytest.raises(Conflict) as caught:
        await service.mark_paid(session, order_id, paid_amount=3000, payment_ref="wx-2")
    assert caught.value.code == "order_already_paid"
    await session.rollback()
    async with db.sessionmaker() as check:
        paid = await check.get(Order, order_id)
        assert (paid.status, paid.paid_amount, paid.payment_ref) == ("paid", 3000, "wx-1")
        assert await check.scalar(select(Sku.sales_count).where(Sku.id == sku_id)) == 2
        assert await check.scalar(select(Spu.sales_count)) == 2


async def test_paying_a_cancelled_order_is_refused(client, session):
    _, headers, order, order_id = await _paid_order(client, session)
    await client.post(f"/api/v1/orders/{order['order_no']}/cancel", headers=headers, json={})
    with pytest.raises(states.InvalidOrderState) as caught:
        await service.mark_paid(session, order_id, paid_amount=3000, payment_ref="wx-late")
    assert caught.value.message == "订单已取消，不能支付"
    await session.rollback()


async def test_ship_then_confirm_receipt(client, session, db):
    sku_id, headers, order, order_id = await _paid_order(client, session)
    staff = staff_headers(await make_staff(session, role="warehouse"))
    order_no = order["order_no"]
    # shipping before payment is refused
    early = await client.post(f"/api/admin/v1/orders/{order_no}/ship", headers=staff, json=SHIP)
    assert (early.status_code, early.json()["message"]) == (409, "订单未付款，不能发货")
    await service.mark_paid(session, order_id, paid_amount=3000, payment_ref="wx-9")
    # when shipped
    shipped = await client.post(f"/api/admin/v1/orders/{order_no}/ship", headers=staff, json=SHIP)
    assert shipped.status_code == 200, shipped.text
    body = shipped.json()
    assert body["already"] is False
    assert body["order"]["status"] == "shipped"
    assert body["order"]["logistics"]["tracking_no"] == "SF1234567890"
    auto = datetime.fromisoformat(body["order"]["auto_complete_at"]) - datetime.fromisoformat(
        body["order"]["shipped_at"]
    )
    assert auto == timedelta(days=7)
    # the same waybill again is a no-op; another waybill is refused
    again = await client.post(f"/api/admin/v1/orders/{order_no}/ship", headers=staff, json=SHIP)
    assert again.json()["already"] is True
    other_waybill = {**SHIP, "tracking_no": "SF999"}
    other = await client.post(f"/api/admin/v1/orders/{order_no}/ship", headers=staff, json=other_waybill)
    assert (other.status_code, other.json()["code"]) == (409, "already_shipped")
    # the shopper can no longer cancel, but can confirm receipt (twice is a no-op)
    cancel = await client.post(f"/api/v1/orders/{order_no}/cancel", headers=headers, json={})
    assert (cancel.status_code, cancel.json()) == (
        409, {"code": "invalid_order_state", "message": "订单已发货，不能取消",
              "details": {"status": "shipped", "action": "cancel"}},
    )
    done = await client.post(f"/api/v1/orders/{order_no}/confirm-receipt", headers=headers)
    assert (done.json()["already"], done.json()["order"]["status"]) == (False, "completed")
    done = await client.post(f"/api/v1/orders/{order_no}/confirm-receipt", headers=headers)
    assert done.json()["already"] is True
    detail = (await client.get(f"/api/v1/orders/{order_no}", headers=headers)).json()
    assert [(e["event"], e["actor_type"]) for e in detail["timeline"]] == [
        ("created", "shopper"), ("paid", "system"), ("shipped", "staff"), ("completed", "shopper"),
    ]
    assert await stock_of(db, sku_id) == 8


async def test_shopper_cancel_twice_releases_stock_once(client, session, db):
    sku_id, headers, order, _ = await _paid_order(client, session, stock=5, quantity=3)
    assert await stock_of(db, sku_id) == 2
    url = f"/api/v1/orders/{order['order_no']}/cancel"
    first = await client.post(url, headers=headers, json={"reason": "不想要了"})
    second = await client.post(url, headers=headers)
    assert (first.json()["already"], second.json()["already"]) == (False, True)
    assert first.json()["order"]["status"] == "cancelled"
    assert first.json()["order"]["cancel_reason"] == "不想要了"
    assert await stock_of(db, sku_id) == 5
    assert await movements(db, sku_id, "order_released") == 1


async def test_merchant_cancel_of_a_paid_order_requires_refund_and_releases_stock(client, session, db):
    sku_id, _, order, order_id = await _paid_order(client, session, stock=5, quantity=1)
    await service.mark_paid(session, order_id, paid_amount=1500, payment_ref="wx-3")
    warehouse = staff_headers(await make_staff(session, role="warehouse"))
    url = f"/api/admin/v1/orders/{order['order_no']}/cancel"
    forbidden = await client.post(url, headers=warehouse, json={"reason": "缺货"})
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "permission_denied")
    service_staff = staff_headers(await make_staff(session, role="customer_service"))
    assert (await client.post(url, headers=service_staff, json={})).status_code == 422
    cancelled = await client.post(url, headers=service_staff, json={"reason": "缺货"})
    body = cancelled.json()
    assert (body["already"], body["order"]["status"], body["order"]["refund_required"]) == (False, "cancelled", True)
    assert body["order"]["cancelled_by"] == "staff"
    assert body["order"]["timeline"][-1]["note"] == "商家取消：缺货"
    assert await stock_of(db, sku_id) == 5


async def test_another_shoppers_order_is_404(client, session, db):
    sku_id, headers, order, _ = await _paid_order(client, session)
    _, stranger, _ = await make_buyer(session)
    order_no = order["order_no"]
    for method, url in [
        ("get", f"/api/v1/orders/{order_no}"),
        ("post", f"/api/v1/orders/{order_no}/cancel"),
        ("post", f"/api/v1/orders/{order_no}/confirm-receipt"),
    ]:
        response = await client.request(method, url, headers=stranger)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert (await client.get("/api/v1/orders", headers=stranger)).json()["items"] == []
    assert (await client.get(f"/api/v1/orders/{order_no}", headers=headers)).json()["status"] == "pending_payment"
    assert await stock_of(db, sku_id) == 8


async def test_sweeps_skip_orders_not_yet_due(client, session):
    _, _, _, order_id = await _paid_order(client, session)
    clock.advance(timedelta(minutes=29))
    assert await service.cancel_expired_orders(session, clock.now()) == 0
    assert await service.complete_due_orders(session, clock.now()) == 0
    assert await session.scalar(select(Order.status).where(Order.id == order_id)) == "pending_payment"
    await session.rollback()


async def _sales(db) -> tuple[list[int], int]:
    async with db.sessionmaker() as check:
        skus = list((await check.scalars(select(Sku.sales_count).order_by(Sku.id))).all())
        return skus, await check.scalar(select(Spu.sales_count))


async def test_cancelling_a_paid_order_takes_its_sales_back_once(client, session, db):
    # given one SKU paid for twice: 2 units and 3 units
    sku_id = await make_sku(session, stock=10, price=1500)
    paid = []
    for quantity in (2, 3):
        _, headers, address_id = await make_buyer(session)
        order = await create_order(client, headers, address_id, [(sku_id, quantity)])
        order_id = await session.scalar(select(Order.id).where(Order.order_no == order["order_no"]))
        await session.rollback()
        await service.mark_paid(session, order_id, paid_amount=1500 * quantity, payment_ref=f"wx-sales-{quantity}")
        paid.append(order["order_no"])
    assert await _sales(db) == ([5], 5)
    # when the merchant cancels the first before shipping (twice: the second is a no-op)
    staff = staff_headers(await make_staff(session, role="customer_service"))
    url = f"/api/admin/v1/orders/{paid[0]}/cancel"
    first = await client.post(url, headers=staff, json={"reason": "缺货"})
    again = await client.post(url, headers=staff, json={"reason": "缺货"})
    assert (first.json()["already"], again.json()["already"]) == (False, True)
    # then only the order that stays paid counts as sold, on the SKU and the SPU
    assert await _sales(db) == ([3], 3)
    # and an unpaid order cancelled by its shopper never counted, so takes nothing back
    _, headers, address_id = await make_buyer(session)
    unpaid = await create_order(client, headers, address_id, [(sku_id, 1)])
    cancelled = await client.post(f"/api/v1/orders/{unpaid['order_no']}/cancel", headers=headers, json={})
    assert cancelled.json()["order"]["status"] == "cancelled"
    assert await _sales(db) == ([3], 3)
    assert await stock_of(db, sku_id) == 7


async def test_another_payment_for_any_order_that_was_paid_is_order_already_paid(client, session, db):
    staff = staff_headers(await make_staff(session))
    # given an order paid by wx-a, then shipped
    _, headers, order, order_id = await _paid_order(client, session)
    await service.mark_paid(session, order_id, paid_amount=3000, payment_ref="wx-a")
    shipped = await client.post(f"/api/admin/v1/orders/{order['order_no']}/ship", headers=staff, json=SHIP)
    assert shipped.status_code == 200

    async def pay(oid: int, ref: str, amount: int = 3000) -> tuple:
        try:
            result = await service.mark_paid(session, oid, paid_amount=amount, payment_ref=ref)
        except Conflict as exc:
            await session.rollback()
            return exc.status_code, exc.code, exc.details
        return "already" if result.already else "paid", result.to_status

    # when another payment arrives (even with another amount), it is a duplicate to refund
    assert await pay(order_id, "wx-b") == (409, "order_already_paid", {"payment_ref": "wx-a", "status": "shipped"})
    assert await pay(order_id, "wx-b", 1) == (409, "order_already_paid", {"payment_ref": "wx-a", "status": "shipped"})
    # and the same after completion; the original callback again stays a no-op
    await client.post(f"/api/v1/orders/{order['order_no']}/confirm-receipt", headers=headers)
    assert await pay(order_id, "wx-c") == (409, "order_already_paid", {"payment_ref": "wx-a", "status": "completed"})
    assert await pay(order_id, "wx-a") == ("already", "completed")
    # given a paid order the merchant cancelled, a late second payment is a duplicate too
    _, _, other, other_id = await _paid_order(client, session)
    await service.mark_paid(session, other_id, paid_amount=3000, payment_ref="wx-d")
    await client.post(f"/api/admin/v1/orders/{other['order_no']}/cancel", headers=staff, json={"reason": "缺货"})
    assert await pay(other_id, "wx-e") == (409, "order_already_paid", {"payment_ref": "wx-d", "status": "cancelled"})
    assert await pay(other_id, "wx-d") == ("already", "cancelled")
    # but an order cancelled before any payment is not "already paid"
    _, unpaid_headers, unpaid, unpaid_id = await _paid_order(client, session)
    await client.post(f"/api/v1/orders/{unpaid['order_no']}/cancel", headers=unpaid_headers, json={})
    assert await pay(unpaid_id, "wx-f") == (409, "invalid_order_state", {"status": "cancelled", "action": "pay"})
    async with db.sessionmaker() as check:
        rows = (await check.execute(select(Order.id, Order.payment_ref, Order.paid_amount).order_by(Order.id))).all()
        assert [tuple(r) for r in rows] == [(order_id, "wx-a", 3000), (other_id, "wx-d", 3000), (unpaid_id, "", 0)]


async def test_two_payments_racing_for_one_order_one_pays_one_is_a_duplicate(client, session, db):
    sku_id, _, _, order_id = await _paid_order(client, session)

    async def pay(ref: str) -> str:
        async with db.sessionmaker() as own:
            try:
                await service.mark_paid(own, order_id, paid_amount=3000, payment_ref=ref)
            except Conflict as exc:
                return exc.code
            return "paid"

    outcomes = await asyncio.gather(*[pay(f"wx-race-{i}") for i in range(4)])
    assert sorted(outcomes) == ["order_already_paid"] * 3 + ["paid"]
    async with db.sessionmaker() as check:
        assert await check.scalar(select(Sku.sales_count).where(Sku.id == sku_id)) == 2
