"""Reconciliation: asking the gateway before an unpaid order is cancelled, the refund sweep, the daily report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from qingmall.core import clock
from qingmall.orders import service as orders_service
from qingmall.orders.models import Order
from qingmall.payments import refunds, tasks
from qingmall.payments.models import Refund
from tests.factories import make_staff, staff_headers
from tests.payments.paykit import order_row, pay_in_sandbox, pending_order, prepay, rows


async def past_deadline(db, order_no: str) -> None:
    deadline = (await order_row(db, order_no)).pay_deadline
    clock.advance(deadline - clock.now() + timedelta(seconds=1))


async def test_sweep_asks_the_gateway_and_keeps_an_order_whose_notification_never_came(
    db, session, client, sandbox, gateways
):
    paid_order, paid_headers = await pending_order(session, client, price=990)
    unpaid_order, unpaid_headers = await pending_order(session, client, price=990)
    await prepay(client, paid_order, paid_headers)
    await prepay(client, unpaid_order, unpaid_headers)
    sandbox.pay(f"{paid_order['order_no']}W1")  # paid at WeChat, notification lost
    await past_deadline(db, paid_order["order_no"])

    async def before_cancel(own, order_id):
        return await tasks.reconcile_before_cancel(own, gateways, order_id)

    async with db.sessionmaker() as s:
        cancelled = await orders_service.cancel_expired_orders(s, clock.now(), before_cancel=before_cancel)

    assert cancelled == 1
    assert (await order_row(db, paid_order["order_no"])).status == "paid"
    assert (await order_row(db, unpaid_order["order_no"])).status == "cancelled"


async def test_unreachable_gateway_postpones_the_cancel_within_the_grace_period(db, session, client, sandbox, gateways):
    order, headers = await pending_order(session, client)
    await prepay(client, order, headers)
    await past_deadline(db, order["order_no"])

    def down(*_args, **_kwargs):
        from qingmall.sandbox.wechatpay import SandboxError

        raise SandboxError(500, "SYSTEM_ERROR", "系统繁忙")

    original = sandbox.query
    sandbox.query = down
    try:
        async def before_cancel(own, order_id):
            return await tasks.reconcile_before_cancel(own, gateways, order_id)

        async with db.sessionmaker() as s:
            soon = await orders_service.cancel_expired_orders(s, clock.now(), before_cancel=before_cancel)
        clock.advance(tasks.UNREACHABLE_GRACE)
        async with db.sessionmaker() as s:
            later = await orders_service.cancel_expired_orders(s, clock.now(), before_cancel=before_cancel)
    finally:
        sandbox.query = original

    assert (soon, later) == (0, 1)
    assert (await order_row(db, order["order_no"])).status == "cancelled"


async def test_refund_sweep_records_and_resends_what_the_route_did_not(db, session, client, sandbox, gateways):
    order, headers = await pending_order(session, client, price=1200)
    await prepay(client, order, headers)
    await pay_in_sandbox(client, sandbox, f"{order['order_no']}W1")
    row = await order_row(db, order["order_no"])
    async with db.sessionmaker() as s:  # a cancel whose refund step never ran (the process died)
        await orders_service.cancel_order(s, row.id, actor=orders_service.Actor("staff", None), reason="缺货")
    assert (await order_row(db, order["order_no"])).refund_required is True

    async with db.sessionmaker() as s:
        first = await refunds.refund_cancelled_orders(s, gateways)
    async with db.sessionmaker() as s:
        second = await refunds.refund_cancelled_orders(s, gateways)

    assert (first, second) == (1, 0)
    [refund] = await rows(db, Refund)
    assert (refund.amount, refund.status) == (1200, "processing")
    assert (await order_row(db, order["order_no"])).refund_required is False


async def test_daily_report_is_clean_for_consistent_books_and_lists_a_payment_not_booked(
    db, session, client, sandbox
):
    good, good_headers = await pending_order(session, client, price=1000)
    bad, bad_headers = await pending_order(session, client, price=2000)
    for order, headers in ((good, good_headers), (bad, bad_headers)):
        await prepay(client, order, headers)
        await pay_in_sandbox(client, sandbox, f"{order['order_no']}W1")
    owner = await make_staff(session, role="owner")
    day = clock.to_shanghai(clock.now()).date().isoformat()

    clean = await client.get(f"/api/admin/v1/payments/reconciliation?date={day}", headers=staff_headers(owner))

    assert clean.status_code == 200, clean.text
    report = clean.json()
    assert report["mismatches"] == []
    assert (report["orders_paid"], report["orders_paid_amount"]) == (2, 3000)
    wechat = next(c for c in report["channels"] if c["channel"] == "wechat")
    assert (wechat["payments"], wechat["paid_amount"]) == (2, 3000)

    async with db.sessionmaker() as s:  # corrupt the books: the order forgets the payment it took
        await s.execute(update(Order).where(Order.order_no == bad["order_no"]).values(payment_ref="", paid_at=None))
        await s.commit()
    dirty = (await client.get(f"/api/admin/v1/payments/reconciliation?date={day}",
                              headers=staff_headers(owner))).json()
    assert [(m["kind"], m["order_no"], m["amount"]) for m in dirty["mismatches"]] == [
        ("payment_not_booked", bad["order_no"], 2000)
    ]


async def test_order_payments_page_and_permissions(db, session, client, sandbox):
    order, headers = await pending_order(session, client, price=1500)
    await prepay(client, order, headers)
    await pay_in_sandbox(client, sandbox, f"{order['order_no']}W1")
    warehouse = await make_staff(session, role="warehouse")
    service_staff = await make_staff(session, role="customer_service")

    page = await client.get(f"/api/admin/v1/orders/{order['order_no']}/payments", headers=staff_headers(warehouse))
    report = await client.get("/api/admin/v1/payments/reconciliation?date=2026-11-27",
                              headers=staff_headers(service_staff))
    bad_date = await client.get("/api/admin/v1/payments/reconciliation?date=1900-01-01",
                                headers=staff_headers(await make_staff(session, role="owner")))

    assert page.status_code == 200, page.text
    body = page.json()
    assert [(a["channel"], a["status"], a["amount"]) for a in body["attempts"]] == [("wechat", "paid", 1500)]
    assert [n["outcome"] for n in body["notifications"]] == ["applied"]
    assert "openid" not in page.text
    assert (report.status_code, report.json()["code"]) == (403, "permission_denied")
    assert (bad_date.status_code, bad_date.json()["code"]) == (422, "invalid_date")


async def test_a_refund_the_gateway_refuses_for_good_is_failed_and_reported(db, session, client, alipay_sandbox):
    order, headers = await pending_order(session, client, price=2600)
    trade = await client.post(f"/api/v1/orders/{order['order_no']}/pay/alipay", headers=headers,
                              json={"buyer_open_id": "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo"})
    assert trade.status_code == 200, trade.text
    out_trade_no = trade.json()["out_trade_no"]
    alipay_sandbox.pay(out_trade_no)
    reply = await client.post("/api/v1/payments/alipay/notify", data=alipay_sandbox.build_notification(out_trade_no))
    assert reply.text == "success"
    alipay_sandbox.trades[out_trade_no].status = "TRADE_CLOSED"  # e.g. closed at Alipay by hand meanwhile
    owner = await make_staff(session, role="owner")

    cancel = await client.post(f"/api/admin/v1/orders/{order['order_no']}/cancel", json={"reason": "缺货"},
                               headers=staff_headers(owner))

    assert cancel.status_code == 200, cancel.text
    [refund] = await rows(db, Refund)
    assert (refund.channel, refund.amount, refund.status) == ("alipay", 2600, "failed")
    day = clock.to_shanghai(clock.now()).date().isoformat()
    report = (
        await client.get(f"/api/admin/v1/payments/reconciliation?date={day}", headers=staff_headers(owner))
    ).json()
    kinds = sorted(m["kind"] for m in report["mismatches"])
    assert kinds == ["refund_failed"]
