"""A gateway refund that fails keeps the after-sale refunding until the merchant retries; only a refund that
succeeds finishes it. The gateway is left out (no channel configured) and settled by hand, as payments would
on a notification or a query."""

from __future__ import annotations

from sqlalchemy import select

from qingmall.core import clock
from qingmall.orders import service as orders_service
from qingmall.orders.models import Order
from qingmall.payments import refunds
from qingmall.payments.gateways import Gateways
from qingmall.payments.models import PaymentAttempt, Refund
from tests.aftersales.aftersales_testkit import PaidOrder, admin, file, order_row, owner, refunded_quantities, sales
from tests.orders.orders_testkit import create_order, make_buyer, make_sku


async def wechat_paid_order(client, session, db, *, price: int, quantity: int) -> PaidOrder:
    """An order paid through WeChat Pay as payments records it: a paid attempt whose transaction paid it."""
    sku_id = await make_sku(session, price=price, stock=5)
    shopper, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, quantity)])
    async with db.sessionmaker() as s:
        order_id = await s.scalar(select(Order.id).where(Order.order_no == order["order_no"]))
        s.add(
            PaymentAttempt(
                order_id=order_id,
                channel="wechat",
                out_trade_no=f"{order['order_no']}W1",
                amount=price * quantity,
                appid="wxsandbox0000001",
                mchid="1900000109",
                status="paid",
                transaction_id=f"42000{order['order_no']}",
                paid_at=clock.now(),
            )
        )
        await s.commit()
        await orders_service.mark_paid(
            s, order_id, paid_amount=price * quantity, payment_ref=f"42000{order['order_no']}"
        )
    return PaidOrder(shopper, headers, order["order_no"], order_id, [sku_id], order["lines"], order)


async def refund_rows(db, after_sale_id: int) -> list[tuple[int, str, int]]:
    async with db.sessionmaker() as s:
        rows = await s.execute(
            select(Refund.id, Refund.status, Refund.amount)
            .where(Refund.after_sale_id == after_sale_id)
            .order_by(Refund.id)
        )
        return [tuple(row) for row in rows.all()]


async def settle(db, refund_id: int, *, succeeded: bool) -> None:
    async with db.sessionmaker() as s:
        assert await refunds.settle_refund(s, refund_id, succeeded=succeeded, refund_id=f"50000{refund_id}")
        await s.commit()


async def test_a_failed_refund_waits_for_the_merchant_and_a_retry_finishes_it(app, client, session, db):
    # given an unshipped order paid by WeChat, a shop whose gateway is unreachable, and an approved refund
    app.state.payment_gateways = Gateways()
    order = await wechat_paid_order(client, session, db, price=1250, quantity=2)
    staff = await owner(session)
    after_sale = await file(client, order, "refund_only", [(order.line_id(), 2)])
    approved = (await admin(client, staff, after_sale["after_sale_no"], "approve"))["after_sale"]
    # then it is refunding: units claimed, stock back (the goods never left), the refund recorded but not sent
    assert (approved["status"], approved["refund_state"]) == ("refunding", "pending")
    assert [(r["channel"], r["amount"], r["status"]) for r in approved["refunds"]] == [("wechat", 2500, "pending")]
    assert await refunded_quantities(db, order.order_id) == [2]
    assert (await sales(db, order.sku_ids[0]))[0] == 5
    assert (await order_row(db, order.order_id)).status == "refunding"
    # a retry while the refund is still on its way records nothing new
    retried = (await admin(client, staff, after_sale["after_sale_no"], "retry-refund"))["after_sale"]
    assert len(retried["refunds"]) == 1
    [(first_id, _, _)] = await refund_rows(db, approved["id"])
    # when the gateway reports the refund failed
    await settle(db, first_id, succeeded=False)
    failed = (await admin(client, staff, after_sale["after_sale_no"], "retry-refund", expect=200))["after_sale"]
    # then the after-sale had stayed refunding, marked failed, with an event; the retry recorded a new refund
    assert [e["event"] for e in failed["timeline"]] == [
        "submitted",
        "approved",
        "refund_started",
        "refund_retried",
        "refund_failed",
        "refund_retried",
    ]
    assert (failed["status"], failed["refund_state"]) == ("refunding", "pending")
    rows = await refund_rows(db, approved["id"])
    assert [(status, amount) for _, status, amount in rows] == [("failed", 2500), ("pending", 2500)]
    assert (await order_row(db, order.order_id)).status == "refunding"
    # when the new refund succeeds
    await settle(db, rows[1][0], succeeded=True)
    # then the after-sale is refunded and so is the order, once
    done = (await client.get(f"/api/admin/v1/after-sales/{after_sale['after_sale_no']}", headers=staff)).json()
    assert (done["status"], done["refund_state"]) == ("refunded", "succeeded")
    assert (await order_row(db, order.order_id)).status == "refunded"
    async with db.sessionmaker() as s:
        attempt = (
            await s.execute(select(PaymentAttempt).where(PaymentAttempt.order_id == order.order_id))
        ).scalar_one()
    assert (attempt.refunded_amount, attempt.status) == (2500, "refunded")
    late = await admin(client, staff, after_sale["after_sale_no"], "retry-refund", expect=409)
    assert late["code"] == "invalid_after_sale_state"


async def test_a_failed_refund_is_reported_to_the_after_sale_once(app, client, session, db):
    app.state.payment_gateways = Gateways()
    order = await wechat_paid_order(client, session, db, price=999, quantity=1)
    staff = await owner(session)
    after_sale = await file(client, order, "refund_only", [(order.line_id(), 1)])
    approved = (await admin(client, staff, after_sale["after_sale_no"], "approve"))["after_sale"]
    [(refund_id, _, _)] = await refund_rows(db, approved["id"])
    await settle(db, refund_id, succeeded=False)
    async with db.sessionmaker() as s:
        assert await refunds.settle_refund(s, refund_id, succeeded=False) is False
    detail = (await client.get(f"/api/v1/after-sales/{after_sale['after_sale_no']}", headers=order.headers)).json()
    assert (detail["status"], detail["status_label"], detail["refund_state"]) == ("refunding", "退款中", "failed")
    assert [e["event"] for e in detail["timeline"]].count("refund_failed") == 1
