"""WeChat Pay end to end over HTTP: prepay, notification applied once, rejections, refunds, reconciliation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from qingmall.core import clock
from qingmall.payments import wechat
from qingmall.payments.models import PaymentAttempt, PaymentNotification, Refund
from tests.orders.orders_testkit import make_buyer
from tests.payments.paykit import NOTIFY, deliver, order_row, pending_order, prepay, rows


async def test_prepay_then_notification_marks_the_order_paid(db, session, client, sandbox, settings):
    order, headers = await pending_order(session, client, price=2990, quantity=2)

    params = await prepay(client, order, headers)

    out_trade_no = f"{order['order_no']}W1"
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["appId"] == settings.wechat_appid
    assert params["package"] == f"prepay_id={sandbox.orders[out_trade_no].prepay_id}"
    assert sandbox.orders[out_trade_no].total == 5980
    again = await prepay(client, order, headers)
    assert again["package"] == params["package"]
    assert sandbox.calls["jsapi"] == 1

    paid = sandbox.pay(out_trade_no)
    response = await deliver(client, sandbox.build_notification(out_trade_no))

    assert response.status_code == 204, response.text
    row = await order_row(db, order["order_no"])
    assert (row.status, row.paid_amount, row.payment_ref) == ("paid", 5980, paid.transaction_id)
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.transaction_id, attempt.amount) == ("paid", paid.transaction_id, 5980)
    [log] = await rows(db, PaymentNotification)
    assert (log.outcome, log.out_trade_no, log.transaction_id) == ("applied", out_trade_no, paid.transaction_id)
    assert "openid" not in str(log.summary) and "ciphertext" not in str(log.summary)
    again = await client.post(f"/api/v1/orders/{order['order_no']}/pay/wechat", headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "order_not_payable")


async def test_same_notification_delivered_three_times_concurrently_applies_once(db, session, client, sandbox):
    order, headers = await pending_order(session, client, price=1500)
    await prepay(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    sandbox.pay(out_trade_no)
    notification = sandbox.build_notification(out_trade_no)

    responses = await asyncio.gather(*(deliver(client, notification) for _ in range(3)))

    assert [r.status_code for r in responses] == [204, 204, 204]
    row = await order_row(db, order["order_no"])
    assert (row.status, row.paid_amount) == ("paid", 1500)
    [log] = await rows(db, PaymentNotification)  # one id, logged once
    assert log.outcome == "applied"
    other_id = await deliver(client, sandbox.build_notification(out_trade_no))
    assert other_id.status_code == 204
    outcomes = [n.outcome for n in await rows(db, PaymentNotification)]
    assert outcomes == ["applied", "duplicate"]


async def test_concurrent_service_calls_answer_one_applied_and_the_rest_duplicate(db, session, client, sandbox,
                                                                                   gateways):
    order, headers = await pending_order(session, client, price=800)
    await prepay(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    sandbox.pay(out_trade_no)
    notifications = [sandbox.build_notification(out_trade_no) for _ in range(3)]

    async def apply(notification):
        async with db.sessionmaker() as s:
            return await wechat.apply_wechat_notification(s, gateways, notification.headers, notification.body)

    results = await asyncio.gather(*(apply(n) for n in notifications))

    assert sorted(r.outcome for r in results) == ["applied", "duplicate", "duplicate"]
    assert (await order_row(db, order["order_no"])).status == "paid"


@pytest.mark.parametrize(
    ("variant", "code"),
    [("forged", "rejected_signature"), ("stale", "rejected_stale"), ("probe", "rejected_probe")],
)
async def test_unverifiable_notifications_are_rejected_logged_and_change_nothing(
    db, session, client, sandbox, variant, code
):
    order, headers = await pending_order(session, client)
    await prepay(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    sandbox.pay(out_trade_no)

    response = await deliver(client, sandbox.build_notification(out_trade_no, variant=variant))

    assert (response.status_code, response.json()["code"]) == (401, code)
    assert (await order_row(db, order["order_no"])).status == "pending_payment"
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.transaction_id) == ("created", None)
    [log] = await rows(db, PaymentNotification)
    assert (log.outcome, log.notification_id) == (code, None)
    genuine = await deliver(client, sandbox.build_notification(out_trade_no))
    assert genuine.status_code == 204
    assert (await order_row(db, order["order_no"])).status == "paid"


async def test_wrong_amount_or_merchant_is_rejected_and_order_stays_unpaid(db, session, client, sandbox):
    order, headers = await pending_order(session, client, price=2990)
    await prepay(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    sandbox.pay(out_trade_no)

    sandbox.orders[out_trade_no].total = 1
    wrong_amount = await deliver(client, sandbox.build_notification(out_trade_no))
    sandbox.orders[out_trade_no].total = 2990
    sandbox.orders[out_trade_no].appid = "wxsomeoneelse001"
    wrong_appid = await deliver(client, sandbox.build_notification(out_trade_no))

    assert (wrong_amount.status_code, wrong_amount.json()["code"]) == (400, "rejected_amount")
    assert (wrong_appid.status_code, wrong_appid.json()["code"]) == (400, "rejected_merchant")
    assert (await order_row(db, order["order_no"])).status == "pending_payment"
    assert [n.outcome for n in await rows(db, PaymentNotification)] == ["rejected_amount", "rejected_merchant"]
    [attempt] = await rows(db, PaymentAttempt)
    assert attempt.status == "created"


async def test_payment_after_cancellation_is_refunded_in_full(db, session, client, sandbox):
    order, headers = await pending_order(session, client, price=4200)
    await prepay(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    cancelled = await client.post(f"/api/v1/orders/{order['order_no']}/cancel", headers=headers, json={})
    assert cancelled.status_code == 200, cancelled.text
    sandbox.pay(out_trade_no)
    notification = sandbox.build_notification(out_trade_no)

    response = await deliver(client, notification)

    assert response.status_code == 204
    row = await order_row(db, order["order_no"])
    assert (row.status, row.payment_ref) == ("cancelled", "")
    [refund] = await rows(db, Refund)
    assert (refund.out_refund_no, refund.amount) == (f"{out_trade_no}R1", 4200)
    assert refund.status == "processing"
    assert refund.refund_id == sandbox.refunds[f"{out_trade_no}R1"].refund_id
    assert sandbox.refunds[f"{out_trade_no}R1"].refund == 4200
    [attempt] = await rows(db, PaymentAttempt)
    assert attempt.status == "refunding"
    assert [n.outcome for n in await rows(db, PaymentNotification)] == ["refund_requested"]

    redelivered = await deliver(client, notification)
    assert redelivered.status_code == 204
    assert len(await rows(db, Refund)) == 1
    assert sandbox.calls["refund"] == 1


async def test_refund_the_gateway_refused_is_retried_on_the_next_notification(db, session, client, sandbox):
    order, headers = await pending_order(session, client, price=990)
    await prepay(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    await client.post(f"/api/v1/orders/{order['order_no']}/cancel", headers=headers, json={})
    sandbox.pay(out_trade_no)
    real_refund = sandbox.create_refund

    def down(_payload):
        from qingmall.sandbox.wechatpay import SandboxError

        raise SandboxError(500, "SYSTEM_ERROR", "系统繁忙")

    sandbox.create_refund = down
    first = await deliver(client, sandbox.build_notification(out_trade_no))
    [pending] = await rows(db, Refund)
    sandbox.create_refund = real_refund
    second = await deliver(client, sandbox.build_notification(out_trade_no))

    assert (first.status_code, second.status_code) == (204, 204)
    assert pending.status == "pending"
    [refund] = await rows(db, Refund)
    assert refund.status == "processing"
    assert sandbox.refunds[f"{out_trade_no}R1"].refund == 990


async def test_reconciliation_applies_a_paid_order_whose_notification_never_came(
    db, session, client, sandbox, gateways
):
    order, headers = await pending_order(session, client, price=3300)
    await prepay(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    order_id = (await order_row(db, order["order_no"])).id
    async with db.sessionmaker() as s:
        assert (await wechat.reconcile_wechat_payment(s, gateways, order_id)).outcome == "not_paid"
    paid = sandbox.pay(out_trade_no)

    async with db.sessionmaker() as s:
        result = await wechat.reconcile_wechat_payment(s, gateways, order_id)

    assert result.outcome == "applied"
    row = await order_row(db, order["order_no"])
    assert (row.status, row.payment_ref) == ("paid", paid.transaction_id)
    async with db.sessionmaker() as s:
        assert (await wechat.reconcile_wechat_payment(s, gateways, order_id)).outcome == "not_pending"
    late = await deliver(client, sandbox.build_notification(out_trade_no))
    assert late.status_code == 204
    assert [n.outcome for n in await rows(db, PaymentNotification)] == ["applied", "duplicate"]


async def test_pay_route_refuses_other_shoppers_and_unconfigured_gateway(db, session, client, app):
    order, _headers = await pending_order(session, client)
    _other, other_headers, _ = await make_buyer(session)

    foreign = await client.post(f"/api/v1/orders/{order['order_no']}/pay/wechat", headers=other_headers)
    anonymous = await client.post(f"/api/v1/orders/{order['order_no']}/pay/wechat")
    app.state.payment_gateways.wechatpay = None
    unconfigured = await client.post(NOTIFY, content=b"{}")

    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
    assert anonymous.status_code == 401
    assert (unconfigured.status_code, unconfigured.json()["code"]) == (409, "payment_channel_disabled")
    async with db.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(PaymentAttempt)) == 0


async def test_garbage_notification_is_a_4xx_not_a_500(db, client):
    response = await client.post(NOTIFY, content=b"not json", headers={"Wechatpay-Serial": "x"})

    assert (response.status_code, response.json()["code"]) == (401, "rejected_signature")


async def test_two_concurrent_taps_on_pay_share_one_attempt(db, session, client, sandbox):
    order, headers = await pending_order(session, client, price=1200)

    first, second = await asyncio.gather(prepay(client, order, headers), prepay(client, order, headers))

    assert first["package"] == second["package"]
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.out_trade_no, attempt.status, attempt.amount) == (f"{order['order_no']}W1", "created", 1200)


async def test_pay_after_the_deadline_is_refused(db, session, client, sandbox):
    order, headers = await pending_order(session, client)
    deadline = (await order_row(db, order["order_no"])).pay_deadline
    clock.advance(deadline - clock.now() + timedelta(seconds=1))

    response = await client.post(f"/api/v1/orders/{order['order_no']}/pay/wechat", headers=headers)

    assert (response.status_code, response.json()["code"]) == (409, "payment_deadline_passed")
    assert sandbox.calls["jsapi"] == 0


async def test_only_one_open_attempt_per_order_and_channel(db, session, client):
    order, _headers = await pending_order(session, client)
    order_id = (await order_row(db, order["order_no"])).id

    def attempt(n: int, status: str) -> PaymentAttempt:
        return PaymentAttempt(order_id=order_id, channel="wechat", out_trade_no=f"{order['order_no']}W{n}",
                              amount=100, appid="wx1", mchid="1", prepay_id="p", status=status)

    async with db.sessionmaker() as s:
        s.add_all([attempt(1, "closed"), attempt(2, "created")])
        await s.commit()
        s.add(attempt(3, "created"))
        with pytest.raises(IntegrityError):
            await s.commit()
