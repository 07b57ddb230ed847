"""Alipay end to end over HTTP: trades with Huabei installments, signed form notifications applied once,
rejections, switching terms, reconciliation and refunds through the Alipay sandbox."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from qingmall.core import clock
from qingmall.core.errors import Conflict
from qingmall.orders.models import Order
from qingmall.payments import alipay as alipay_payments
from qingmall.payments import refunds
from qingmall.payments.models import PaymentAttempt, PaymentNotification, Refund
from tests.orders.orders_testkit import create_order, make_buyer, make_sku

NOTIFY = "/api/v1/payments/alipay/notify"
OPEN_ID = "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo"


async def pending_order(session, client, *, price: int = 2990, quantity: int = 1) -> tuple[dict, dict]:
    sku_id = await make_sku(session, price=price)
    _shopper, headers, address_id = await make_buyer(session)
    await session.rollback()
    order = await create_order(client, headers, address_id, [(sku_id, quantity)])
    return order, headers


_shop: dict[str, object] = {}


@pytest.fixture(autouse=True)
def _shop_gateways(gateways):
    """``pay`` sets the shop's Huabei fee setting on the app's gateways (it is not the shopper's choice)."""
    _shop["gateways"] = gateways
    yield
    _shop.clear()


async def pay(client, order: dict, headers: dict, *, installments: int = 0, seller_percent: int = 0) -> dict:
    _shop["gateways"].huabei_seller_percent = seller_percent
    response = await client.post(
        f"/api/v1/orders/{order['order_no']}/pay/alipay",
        headers=headers,
        json={"installments": installments, "buyer_open_id": OPEN_ID},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def deliver(client, form: dict[str, str]):
    return await client.post(NOTIFY, data=form)


def pay_closed_trade(sandbox, out_trade_no: str):
    """A buyer's payment that Alipay completed on a trade we had closed (it raced the close). The fake
    refuses to pay a closed trade, so it is opened again first."""
    sandbox.trades[out_trade_no].status = "WAIT_BUYER_PAY"
    return sandbox.pay(out_trade_no)


def biz_content(sandbox, method: str, out_trade_no: str) -> dict:
    for request in sandbox.requests:
        biz = json.loads(request["biz_content"])
        if request["method"] == method and biz.get("out_trade_no") == out_trade_no:
            return biz
    raise AssertionError(f"no {method} for {out_trade_no}")


async def order_row(db, order_no: str):
    async with db.sessionmaker() as s:
        return (await s.execute(select(Order).where(Order.order_no == order_no))).scalar_one()


async def rows(db, model, *where):
    async with db.sessionmaker() as s:
        return list(await s.scalars(select(model).where(*where).order_by(model.id)))


def assert_success(response) -> None:
    assert response.status_code == 200, response.text
    assert response.text == "success"
    assert response.headers["content-type"].startswith("text/plain")


async def test_huabei_payment_then_form_notification_marks_the_order_paid(db, session, client, alipay_sandbox, alipay):
    order, headers = await pending_order(session, client, price=2990, quantity=2)

    trade = await pay(client, order, headers, installments=3, seller_percent=100)

    out_trade_no = f"{order['order_no']}A1"
    at_fake = alipay_sandbox.trades[out_trade_no]
    assert trade == {
        "trade_no": at_fake.trade_no,
        "out_trade_no": out_trade_no,
        "amount": 5980,
        "installments": 3,
        "seller_percent": 100,
    }
    assert (at_fake.total_fen, at_fake.buyer_open_id) == (5980, OPEN_ID)
    assert at_fake.extend_params == {"hb_fq_num": "3", "hb_fq_seller_percent": "100"}
    assert at_fake.notify_url == "http://testserver/api/v1/payments/alipay/notify"
    assert biz_content(alipay_sandbox, "alipay.trade.create", out_trade_no)["product_code"] == "JSAPI_PAY"
    assert await pay(client, order, headers, installments=3, seller_percent=100) == trade
    assert alipay_sandbox.calls["alipay.trade.create"] == 1

    paid = alipay_sandbox.pay(out_trade_no)
    notification = alipay_sandbox.build_notification(out_trade_no)
    response = await deliver(client, notification)

    assert_success(response)
    row = await order_row(db, order["order_no"])
    assert (row.status, row.paid_amount, row.payment_ref) == ("paid", 5980, paid.trade_no)
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.channel, attempt.status, attempt.transaction_id, attempt.amount) == (
        "alipay",
        "paid",
        paid.trade_no,
        5980,
    )
    assert (attempt.installments, attempt.seller_percent, attempt.appid, attempt.mchid, attempt.prepay_id) == (
        3,
        100,
        alipay.app_id,
        alipay_sandbox.seller_id,
        paid.trade_no,
    )
    [log] = await rows(db, PaymentNotification)
    assert (log.channel, log.outcome, log.notification_id) == ("alipay", "applied", notification["notify_id"])
    assert (log.out_trade_no, log.transaction_id) == (out_trade_no, paid.trade_no)
    assert OPEN_ID not in str(log.summary) and notification["sign"] not in str(log.summary)

    assert_success(await deliver(client, notification))  # Alipay's retry of the same notify_id
    alipay_sandbox.trades[out_trade_no].status = "TRADE_FINISHED"  # the refund period ended
    assert_success(await deliver(client, alipay_sandbox.build_notification(out_trade_no)))
    assert [n.outcome for n in await rows(db, PaymentNotification)] == ["applied", "duplicate"]
    assert (await order_row(db, order["order_no"])).paid_amount == 5980
    again = await client.post(
        f"/api/v1/orders/{order['order_no']}/pay/alipay", headers=headers, json={"buyer_open_id": OPEN_ID}
    )
    assert (again.status_code, again.json()["code"]) == (409, "order_not_payable")


async def test_the_trade_closes_with_the_order(db, session, client, alipay_sandbox):
    order, headers = await pending_order(session, client)
    deadline = (await order_row(db, order["order_no"])).pay_deadline
    remaining = deadline - clock.now()

    await pay(client, order, headers)
    clock.advance(remaining - timedelta(seconds=30))
    await pay(client, order, headers, installments=6)

    first = biz_content(alipay_sandbox, "alipay.trade.create", f"{order['order_no']}A1")
    last = biz_content(alipay_sandbox, "alipay.trade.create", f"{order['order_no']}A2")
    assert first["timeout_express"] == f"{int(remaining.total_seconds() // 60)}m"
    assert "extend_params" not in first
    assert last["timeout_express"] == "1m"


async def test_switching_installments_closes_the_old_trade_and_creates_a_new_one(db, session, client, alipay_sandbox):
    order, headers = await pending_order(session, client, price=12000)
    no = order["order_no"]

    three = await pay(client, order, headers, installments=3, seller_percent=100)
    six = await pay(client, order, headers, installments=6, seller_percent=100)
    six_buyer_pays = await pay(client, order, headers, installments=6, seller_percent=0)
    at_once = await pay(client, order, headers, installments=0, seller_percent=100)

    assert [t["out_trade_no"] for t in (three, six, six_buyer_pays, at_once)] == [
        f"{no}A1",
        f"{no}A2",
        f"{no}A3",
        f"{no}A4",
    ]
    assert len({t["trade_no"] for t in (three, six, six_buyer_pays, at_once)}) == 4
    assert (at_once["installments"], at_once["seller_percent"]) == (0, 0)
    assert [alipay_sandbox.trades[f"{no}A{n}"].status for n in (1, 2, 3, 4)] == ["TRADE_CLOSED"] * 3 + [
        "WAIT_BUYER_PAY"
    ]
    assert alipay_sandbox.trades[f"{no}A2"].extend_params == {"hb_fq_num": "6", "hb_fq_seller_percent": "100"}
    assert alipay_sandbox.trades[f"{no}A4"].extend_params is None
    attempts = await rows(db, PaymentAttempt)
    assert [(a.out_trade_no, a.status, a.installments, a.seller_percent) for a in attempts] == [
        (f"{no}A1", "closed", 3, 100),
        (f"{no}A2", "closed", 6, 100),
        (f"{no}A3", "closed", 6, 0),
        (f"{no}A4", "created", 0, 0),
    ]
    assert alipay_sandbox.calls["alipay.trade.close"] == 3

    paid = alipay_sandbox.pay(f"{no}A4")
    assert_success(await deliver(client, alipay_sandbox.build_notification(f"{no}A4")))
    assert (await order_row(db, no)).payment_ref == paid.trade_no


async def test_late_payment_on_the_closed_trade_is_applied_when_it_is_the_first(db, session, client, alipay_sandbox):
    order, headers = await pending_order(session, client, price=6000)
    no = order["order_no"]
    await pay(client, order, headers, installments=3)
    await pay(client, order, headers, installments=6)

    late = pay_closed_trade(alipay_sandbox, f"{no}A1")
    response = await deliver(client, alipay_sandbox.build_notification(f"{no}A1"))

    assert_success(response)
    row = await order_row(db, no)
    assert (row.status, row.payment_ref) == ("paid", late.trade_no)
    first, second = await rows(db, PaymentAttempt)
    assert (first.status, first.transaction_id, first.installments) == ("paid", late.trade_no, 3)
    assert (second.status, second.transaction_id) == ("created", None)
    assert await rows(db, Refund) == []


async def test_late_payment_on_the_closed_trade_after_the_new_one_paid_is_refunded(db, session, client, alipay_sandbox):
    order, headers = await pending_order(session, client, price=6000)
    no = order["order_no"]
    await pay(client, order, headers, installments=3)
    await pay(client, order, headers, installments=6)
    paid = alipay_sandbox.pay(f"{no}A2")
    assert_success(await deliver(client, alipay_sandbox.build_notification(f"{no}A2")))

    pay_closed_trade(alipay_sandbox, f"{no}A1")
    response = await deliver(client, alipay_sandbox.build_notification(f"{no}A1"))

    assert_success(response)
    row = await order_row(db, no)
    assert (row.status, row.payment_ref) == ("paid", paid.trade_no)
    [refund] = await rows(db, Refund)
    assert (refund.out_refund_no, refund.amount, refund.channel, refund.status) == (
        f"{no}A1R1",
        6000,
        "alipay",
        "success",
    )
    assert alipay_sandbox.trades[f"{no}A1"].refunds == {f"{no}A1R1": 6000}
    assert alipay_sandbox.trades[f"{no}A2"].refunds == {}
    first, second = await rows(db, PaymentAttempt)
    assert (first.status, first.refunded_amount) == ("refunded", 6000)
    assert (second.status, second.refunded_amount) == ("paid", 0)
    assert [n.outcome for n in await rows(db, PaymentNotification)] == ["applied", "refund_requested"]


async def test_switching_terms_after_the_old_trade_was_paid_is_refused(db, session, client, alipay_sandbox):
    order, headers = await pending_order(session, client)
    no = order["order_no"]
    await pay(client, order, headers, installments=3)
    alipay_sandbox.pay(f"{no}A1")  # paid, notification not here yet

    response = await client.post(
        f"/api/v1/orders/{no}/pay/alipay", headers=headers, json={"installments": 6, "buyer_open_id": OPEN_ID}
    )

    assert (response.status_code, response.json()["code"]) == (409, "payment_in_progress")
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.out_trade_no, attempt.status) == (f"{no}A1", "created")
    assert set(alipay_sandbox.trades) == {f"{no}A1"}
    assert_success(await deliver(client, alipay_sandbox.build_notification(f"{no}A1")))
    assert (await order_row(db, no)).status == "paid"


async def test_same_notification_delivered_three_times_concurrently_applies_once(db, session, client, alipay_sandbox):
    order, headers = await pending_order(session, client, price=1500)
    await pay(client, order, headers)
    out_trade_no = f"{order['order_no']}A1"
    alipay_sandbox.pay(out_trade_no)
    notification = alipay_sandbox.build_notification(out_trade_no)

    responses = await asyncio.gather(*(deliver(client, notification) for _ in range(3)))

    assert [(r.status_code, r.text) for r in responses] == [(200, "success")] * 3
    row = await order_row(db, order["order_no"])
    assert (row.status, row.paid_amount) == ("paid", 1500)
    [log] = await rows(db, PaymentNotification)
    assert (log.outcome, log.notification_id) == ("applied", notification["notify_id"])


async def test_concurrent_notifications_of_one_payment_answer_one_applied_and_the_rest_duplicate(
    db, session, client, alipay_sandbox, gateways
):
    order, headers = await pending_order(session, client, price=800)
    await pay(client, order, headers)
    out_trade_no = f"{order['order_no']}A1"
    alipay_sandbox.pay(out_trade_no)
    notifications = [alipay_sandbox.build_notification(out_trade_no) for _ in range(3)]

    async def apply(form):
        async with db.sessionmaker() as s:
            return await alipay_payments.apply_alipay_notification(s, gateways, form)

    results = await asyncio.gather(*(apply(n) for n in notifications))

    assert sorted(r.outcome for r in results) == ["applied", "duplicate", "duplicate"]
    assert (await order_row(db, order["order_no"])).status == "paid"
    assert sorted(n.outcome for n in await rows(db, PaymentNotification)) == ["applied", "duplicate", "duplicate"]


@pytest.mark.parametrize(
    ("variant", "status", "code", "verified"),
    [
        ("forged", 401, "rejected_signature", False),
        ("tampered", 401, "rejected_signature", False),
        ("unsigned", 401, "rejected_signature", False),
        ("wrong_amount", 400, "rejected_amount", True),
        ("wrong_seller", 400, "rejected_merchant", True),
        ("other_app", 400, "rejected_merchant", False),
        ("unknown_trade", 404, "rejected_unknown_trade", True),
    ],
)
async def test_bad_notifications_are_rejected_logged_and_change_nothing(
    db, session, client, alipay_sandbox, alipay, variant, status, code, verified
):
    order, headers = await pending_order(session, client, price=2990)
    await pay(client, order, headers)
    out_trade_no = f"{order['order_no']}A1"
    alipay_sandbox.pay(out_trade_no)
    trade = alipay_sandbox.trades[out_trade_no]
    if variant == "forged":
        form = alipay_sandbox.build_notification(out_trade_no, forge=True)
    elif variant == "tampered":
        form = alipay_sandbox.build_notification(out_trade_no, tamper={"total_amount": "0.01"})
    elif variant == "unsigned":
        form = {k: v for k, v in alipay_sandbox.build_notification(out_trade_no).items() if k != "sign"}
    elif variant == "wrong_amount":
        trade.total_fen = 1
        form = alipay_sandbox.build_notification(out_trade_no)
        trade.total_fen = 2990
    elif variant == "wrong_seller":
        alipay_sandbox.seller_id = "2088999999999999"
        form = alipay_sandbox.build_notification(out_trade_no)
        alipay_sandbox.seller_id = alipay.seller_id
    elif variant == "other_app":
        alipay_sandbox.app_id = "2021000000009999"
        form = alipay_sandbox.build_notification(out_trade_no)
        alipay_sandbox.app_id = alipay.app_id
    else:
        await alipay.create_trade(
            out_trade_no="SOMEONEELSE0001", total_amount=2990, subject="别处的订单", buyer_open_id=OPEN_ID
        )
        alipay_sandbox.pay("SOMEONEELSE0001")
        form = alipay_sandbox.build_notification("SOMEONEELSE0001")

    response = await deliver(client, form)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert (await order_row(db, order["order_no"])).status == "pending_payment"
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.transaction_id) == ("created", None)
    [log] = await rows(db, PaymentNotification)
    assert (log.outcome, log.notification_id) == (code, form["notify_id"] if verified else None)
    genuine = await deliver(client, alipay_sandbox.build_notification(out_trade_no))
    assert_success(genuine)
    assert (await order_row(db, order["order_no"])).status == "paid"


@pytest.mark.parametrize("status", ["WAIT_BUYER_PAY", "TRADE_CLOSED"])
async def test_unpaid_and_closed_trade_notifications_are_acknowledged_without_effect(
    db, session, client, alipay_sandbox, status
):
    order, headers = await pending_order(session, client)
    await pay(client, order, headers)
    out_trade_no = f"{order['order_no']}A1"
    alipay_sandbox.trades[out_trade_no].status = status
    notification = alipay_sandbox.build_notification(out_trade_no)

    first, again = await deliver(client, notification), await deliver(client, notification)

    assert_success(first)
    assert_success(again)
    assert (await order_row(db, order["order_no"])).status == "pending_payment"
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.transaction_id) == ("created", None)
    [log] = await rows(db, PaymentNotification)
    assert (log.outcome, log.notification_id, log.summary["trade_status"]) == (
        "ignored_status",
        notification["notify_id"],
        status,
    )


async def test_reconciliation_applies_a_payment_whose_notification_never_came(
    db, session, client, alipay_sandbox, gateways
):
    order, headers = await pending_order(session, client, price=3300)
    await pay(client, order, headers)
    out_trade_no = f"{order['order_no']}A1"
    order_id = (await order_row(db, order["order_no"])).id
    async with db.sessionmaker() as s:
        assert (await alipay_payments.reconcile_alipay_payment(s, gateways, order_id)).outcome == "not_paid"
    paid = alipay_sandbox.pay(out_trade_no)

    async with db.sessionmaker() as s:
        result = await alipay_payments.reconcile_alipay_payment(s, gateways, order_id)

    assert result.outcome == "applied"
    row = await order_row(db, order["order_no"])
    assert (row.status, row.payment_ref) == ("paid", paid.trade_no)
    [attempt] = await rows(db, PaymentAttempt)
    assert attempt.paid_at == paid.paid_at.replace(microsecond=0)
    async with db.sessionmaker() as s:
        assert (await alipay_payments.reconcile_alipay_payment(s, gateways, order_id)).outcome == "not_pending"
    assert_success(await deliver(client, alipay_sandbox.build_notification(out_trade_no)))
    assert [n.outcome for n in await rows(db, PaymentNotification)] == ["applied", "duplicate"]
    assert [n.summary["source"] for n in await rows(db, PaymentNotification)] == ["reconcile", "notification"]


async def test_reconciliation_moves_past_a_trade_alipay_does_not_know(db, session, client, alipay_sandbox, gateways):
    order, headers = await pending_order(session, client, price=3300)
    no = order["order_no"]
    await pay(client, order, headers, installments=3)
    await pay(client, order, headers, installments=6)
    del alipay_sandbox.trades[f"{no}A2"]  # ACQ.TRADE_NOT_EXIST for the newest attempt
    late = pay_closed_trade(alipay_sandbox, f"{no}A1")
    order_id = (await order_row(db, no)).id

    async with db.sessionmaker() as s:
        result = await alipay_payments.reconcile_alipay_payment(s, gateways, order_id)

    assert result.outcome == "applied"
    assert (await order_row(db, no)).payment_ref == late.trade_no
    assert alipay_sandbox.calls["alipay.trade.query"] == 2


async def test_payment_after_cancellation_is_refunded_in_full_through_alipay(db, session, client, alipay_sandbox):
    order, headers = await pending_order(session, client, price=4200)
    await pay(client, order, headers, installments=12, seller_percent=100)
    out_trade_no = f"{order['order_no']}A1"
    cancelled = await client.post(f"/api/v1/orders/{order['order_no']}/cancel", headers=headers, json={})
    assert cancelled.status_code == 200, cancelled.text
    paid = alipay_sandbox.pay(out_trade_no)
    notification = alipay_sandbox.build_notification(out_trade_no)

    response = await deliver(client, notification)

    assert_success(response)
    row = await order_row(db, order["order_no"])
    assert (row.status, row.payment_ref) == ("cancelled", "")
    [refund] = await rows(db, Refund)
    assert (refund.out_refund_no, refund.amount, refund.status, refund.refund_id) == (
        f"{out_trade_no}R1",
        4200,
        "success",
        paid.trade_no,
    )
    assert alipay_sandbox.trades[out_trade_no].refunds == {f"{out_trade_no}R1": 4200}
    assert alipay_sandbox.trades[out_trade_no].status == "TRADE_CLOSED"  # a full refund closes the trade
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.refunded_amount) == ("refunded", 4200)

    refund_notice = alipay_sandbox.build_notification(out_trade_no)  # Alipay tells of the refund
    assert (refund_notice["trade_status"], refund_notice["refund_fee"]) == ("TRADE_CLOSED", "42.00")
    assert_success(await deliver(client, refund_notice))
    assert_success(await deliver(client, notification))  # a late retry of the payment notification
    assert [n.outcome for n in await rows(db, PaymentNotification)] == ["refund_requested", "ignored_refund"]
    assert len(await rows(db, Refund)) == 1
    assert alipay_sandbox.calls["alipay.trade.refund"] == 1


async def test_partial_refunds_of_an_alipay_paid_order(db, session, client, alipay_sandbox, gateways):
    order, headers = await pending_order(session, client, price=5000)
    await pay(client, order, headers, installments=3)
    out_trade_no = f"{order['order_no']}A1"
    alipay_sandbox.pay(out_trade_no)
    assert_success(await deliver(client, alipay_sandbox.build_notification(out_trade_no)))
    order_id = (await order_row(db, order["order_no"])).id

    for amount in (1000, 500):
        async with db.sessionmaker() as s:
            await refunds.record_order_refund(s, order_id, amount, reason="部分退款", after_sale_id=None)
            await s.commit()
            await refunds.send_pending_refunds(s, gateways, order_id=order_id)

    assert [(r.out_refund_no, r.amount, r.status) for r in await rows(db, Refund)] == [
        (f"{out_trade_no}R1", 1000, "success"),
        (f"{out_trade_no}R2", 500, "success"),
    ]
    assert alipay_sandbox.trades[out_trade_no].refunds == {f"{out_trade_no}R1": 1000, f"{out_trade_no}R2": 500}
    assert alipay_sandbox.trades[out_trade_no].status == "TRADE_SUCCESS"
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.refunded_amount) == ("paid", 1500)
    async with db.sessionmaker() as s:
        with pytest.raises(Conflict) as too_much:
            await refunds.record_order_refund(s, order_id, 3501, reason="超额", after_sale_id=None)
    assert too_much.value.code == "refund_exceeds_paid"

    refund_notice = alipay_sandbox.build_notification(out_trade_no)
    assert (refund_notice["trade_status"], refund_notice["refund_fee"]) == ("TRADE_SUCCESS", "15.00")
    assert_success(await deliver(client, refund_notice))
    row = await order_row(db, order["order_no"])
    assert (row.status, row.paid_amount) == ("paid", 5000)
    assert [n.outcome for n in await rows(db, PaymentNotification)] == ["applied", "ignored_refund"]
    assert len(await rows(db, Refund)) == 2
    assert alipay_sandbox.calls["alipay.trade.refund"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"installments": 4, "buyer_open_id": OPEN_ID}, "installments"),
        ({"installments": 3, "seller_percent": 50, "buyer_open_id": OPEN_ID}, "seller_percent"),
        ({"installments": 3, "seller_percent": 100, "buyer_open_id": OPEN_ID}, "seller_percent"),  # shop's call
        ({"installments": 3}, "buyer_open_id"),
        ({"buyer_open_id": "has spaces and 中文"}, "buyer_open_id"),
        ({"buyer_open_id": "x" * 129}, "buyer_open_id"),
        ({"buyer_open_id": OPEN_ID, "total_amount": 1}, "total_amount"),
    ],
)
async def test_bad_pay_input_is_a_422_and_reaches_no_gateway(db, session, client, alipay_sandbox, body, field):
    order, headers = await pending_order(session, client)

    response = await client.post(f"/api/v1/orders/{order['order_no']}/pay/alipay", headers=headers, json=body)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_input"
    assert field in json.dumps(response.json()["details"])
    assert alipay_sandbox.calls == {}
    assert await rows(db, PaymentAttempt) == []


async def test_pay_route_refuses_other_shoppers_and_a_disabled_channel(db, session, client, app, alipay_sandbox):
    order, headers = await pending_order(session, client)
    _other, other_headers, _ = await make_buyer(session)
    url = f"/api/v1/orders/{order['order_no']}/pay/alipay"

    foreign = await client.post(url, headers=other_headers, json={"buyer_open_id": OPEN_ID})
    anonymous = await client.post(url, json={"buyer_open_id": OPEN_ID})
    app.state.payment_gateways.alipay.seller_id = ""
    no_seller = await client.post(url, headers=headers, json={"buyer_open_id": OPEN_ID})
    app.state.payment_gateways.alipay = None
    disabled = await client.post(url, headers=headers, json={"buyer_open_id": OPEN_ID})
    disabled_notify = await client.post(NOTIFY, data={"notify_id": "x"})

    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
    assert anonymous.status_code == 401
    assert (no_seller.status_code, no_seller.json()["code"]) == (409, "payment_channel_disabled")
    assert (disabled.status_code, disabled.json()["code"]) == (409, "payment_channel_disabled")
    assert (disabled_notify.status_code, disabled_notify.json()["code"]) == (409, "payment_channel_disabled")
    assert alipay_sandbox.calls == {}
    async with db.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(PaymentAttempt)) == 0


async def test_garbage_and_oversized_notifications_are_4xx_not_500(db, client):
    garbage = await client.post(NOTIFY, content=b"\xff\xfe not a form", headers={"content-type": "text/plain"})
    oversized = await client.post(NOTIFY, data={"sign": "x" * 70_000})

    assert (garbage.status_code, garbage.json()["code"]) == (401, "rejected_signature")
    assert (oversized.status_code, oversized.json()["code"]) == (400, "payload_too_large")


async def test_two_concurrent_taps_on_pay_share_one_trade(db, session, client, alipay_sandbox):
    order, headers = await pending_order(session, client, price=1200)

    first, second = await asyncio.gather(
        pay(client, order, headers, installments=6), pay(client, order, headers, installments=6)
    )

    assert first == second
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.out_trade_no, attempt.status, attempt.installments) == (f"{order['order_no']}A1", "created", 6)
    assert list(alipay_sandbox.trades) == [f"{order['order_no']}A1"]
