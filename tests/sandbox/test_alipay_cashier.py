"""The Alipay sandbox's cashier and deliveries through the real app: a shopper's Huabei trade is paid in the
cashier and the fake POSTs the signed form to the app (as Alipay does); duplicates race, forged and tampered
forms are refused, an unacknowledged one is retried with the same ``notify_id``, and the ``make run`` wiring
delivers over a real socket back into the same server."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from html import unescape

import httpx
import pytest
import uvicorn

from qingmall.orders.models import OrderEvent
from qingmall.payments.models import PaymentAttempt, PaymentNotification
from qingmall.sandbox.delivery import DEFAULT_RETRY_DELAYS
from tests.payments.paykit import order_row, pending_order, rows

SANDBOX = "/sandbox/alipay"
OPEN_ID = "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo"
BACK = "http://testserver/orders/done?from=alipay"


@pytest.fixture
async def alipay(app):
    """The app's own in-process Alipay fake (as ``make run`` builds it), delivering into the app in-process and
    retrying quickly; the fake lives as long as the process, so it is put back afterwards."""
    state = app.state.payment_sandboxes["alipay"]
    state.delivery_transport = httpx.ASGITransport(app=app)
    state.retry_delays = (0.01, 0.02)
    yield state
    await state.aclose()
    state.delivery_transport = None
    state.retry_delays = DEFAULT_RETRY_DELAYS


async def start_alipay(client, order: dict, headers: dict, *, installments: int = 3) -> dict:
    """The shopper's ``POST /pay/alipay``: the trade (``trade_no``, ``out_trade_no``, ...)."""
    body = {"installments": installments, "buyer_open_id": OPEN_ID}
    return answered(await client.post(f"/api/v1/orders/{order['order_no']}/pay/alipay", headers=headers, json=body))


def answered(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def pay_action(page: str) -> str:
    """Where the cashier's 确认付款 form posts to."""
    return unescape(re.search(r'<form method="post" action="([^"]+)">', page)[1])


async def deliver(client, **body) -> dict:
    return answered(await client.post(f"{SANDBOX}/notifications/deliver", json=body))


async def paid_events(db, order_no: str) -> int:
    order_id = (await order_row(db, order_no)).id
    return len(await rows(db, OrderEvent, OrderEvent.order_id == order_id, OrderEvent.event == "paid"))


@contextlib.asynccontextmanager
async def served(app) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free local port, as ``make run`` serves it; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


async def test_shopper_pays_huabei_in_the_cashier_and_the_app_takes_the_signed_form_once(db, session, client, alipay):
    order, headers = await pending_order(session, client, price=2990, quantity=2)
    trade = await start_alipay(client, order, headers, installments=3)

    page = await client.get(f"{SANDBOX}/cashier/{trade['trade_no']}", params={"return_url": BACK})

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert '<html lang="zh-CN">' in page.text and "max-width:390px" in page.text and "支付宝" in page.text
    assert '<div class="merchant">轻商城</div>' in page.text
    assert f'<div class="desc">轻商城订单 {order["order_no"]}</div>' in page.text
    assert '<div class="amount"><small>¥</small>59.80</div>' in page.text
    assert "<span>花呗分期</span>" in page.text
    assert "<span>3期，首期 ¥19.94，其后每期 ¥19.93</span>" in page.text
    assert "<span>买家承担</span>" in page.text
    assert ">确认付款</button>" in page.text and ">取消</a>" in page.text

    paid = await client.post(pay_action(page.text))

    assert (paid.status_code, paid.headers["location"]) == (303, BACK)
    at_fake = alipay.trades[trade["out_trade_no"]]
    [delivery] = at_fake.deliveries
    assert (delivery.status_code, delivery.reply, delivery.acknowledged, delivery.event_type) == (
        200,
        "success",
        True,
        "TRADE_SUCCESS",
    )
    assert delivery.notify_url == "http://testserver/api/v1/payments/alipay/notify"
    row = await order_row(db, order["order_no"])
    assert (row.status, row.paid_amount, row.payment_ref) == ("paid", 5980, at_fake.trade_no)
    [logged] = await rows(db, PaymentNotification)
    assert (logged.outcome, logged.notification_id, logged.out_trade_no) == (
        "applied",
        delivery.notification_id,
        trade["out_trade_no"],
    )

    again = await client.post(pay_action(page.text))
    shown_again = await client.get(f"{SANDBOX}/cashier/{trade['trade_no']}")

    assert again.status_code == 409 and "订单已支付" in again.text
    assert f'<a class="back" href="{BACK.replace("&", "&amp;")}">返回商户</a>' in again.text
    assert shown_again.status_code == 409 and "确认付款" not in shown_again.text
    assert len(at_fake.deliveries) == 1
    assert await paid_events(db, order["order_no"]) == 1


async def test_a_trade_without_installments_is_paid_from_the_balance_and_shows_the_result_page(
    db, session, client, alipay
):
    order, headers = await pending_order(session, client, price=1200)
    trade = await start_alipay(client, order, headers, installments=0)

    page = await client.get(f"{SANDBOX}/cashier/{trade['trade_no']}")
    paid = await client.post(pay_action(page.text), params={"return_url": "javascript:alert(1)"})

    assert "<span>账户余额</span>" in page.text and "花呗" not in page.text
    assert paid.status_code == 200 and "支付成功" in paid.text and "<small>¥</small>12.00" in paid.text
    assert (await order_row(db, order["order_no"])).status == "paid"


async def test_three_copies_delivered_at_once_pay_the_order_once(db, session, client, alipay):
    order, headers = await pending_order(session, client, price=4500)
    trade = await start_alipay(client, order, headers)
    alipay.pay(trade["out_trade_no"])  # the buyer paid; Alipay has not told the shop yet

    report = await deliver(client, out_trade_no=trade["out_trade_no"], times=3, concurrently=True)

    assert (report["statuses"], report["acknowledged"]) == ([200, 200, 200], [True, True, True])
    assert [d["reply"] for d in report["deliveries"]] == ["success"] * 3
    [notify_id] = {d["notification_id"] for d in report["deliveries"]}
    row = await order_row(db, order["order_no"])
    assert (row.status, row.paid_amount) == ("paid", 4500)
    assert await paid_events(db, order["order_no"]) == 1
    # the winner logs `applied` under the notify_id; the copies find it logged and add no row
    assert [(n.outcome, n.notification_id) for n in await rows(db, PaymentNotification)] == [("applied", notify_id)]
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.transaction_id) == ("paid", trade["trade_no"])

    later = await deliver(client, out_trade_no=trade["out_trade_no"])
    record = (await client.get(f"{SANDBOX}/trades/{trade['out_trade_no']}/deliveries")).json()

    assert later["acknowledged"] == [True]
    assert [(n.outcome, n.notification_id) for n in await rows(db, PaymentNotification)] == [
        ("applied", notify_id),
        ("duplicate", later["deliveries"][0]["notification_id"]),
    ]
    assert (record["trade_status"], len(record["deliveries"])) == ("TRADE_SUCCESS", 4)


async def test_forged_and_tampered_forms_are_refused_and_change_nothing(db, session, client, alipay):
    order, headers = await pending_order(session, client, price=8800)
    trade = await start_alipay(client, order, headers)
    alipay.pay(trade["out_trade_no"])
    tampered_form = alipay.notification(trade["out_trade_no"], "tampered").form

    forged = await deliver(client, out_trade_no=trade["out_trade_no"], variant="forged", times=2)
    tampered = await deliver(client, out_trade_no=trade["out_trade_no"], variant="tampered")
    await alipay.drain()

    assert tampered_form["total_amount"] == "0.01"
    assert (forged["statuses"], forged["acknowledged"]) == ([401, 401], [False, False])
    assert (tampered["statuses"], tampered["acknowledged"]) == ([401], [False])
    assert '"code":"rejected_signature"' in tampered["deliveries"][0]["reply"]
    assert (await order_row(db, order["order_no"])).status == "pending_payment"
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.transaction_id) == ("created", None)
    logged = await rows(db, PaymentNotification)
    assert [(n.outcome, n.notification_id) for n in logged] == [("rejected_signature", None)] * 3
    assert len(alipay.trades[trade["out_trade_no"]].deliveries) == 3  # copies on request are never retried

    valid = await deliver(client, out_trade_no=trade["out_trade_no"])

    assert valid["acknowledged"] == [True]
    assert (await order_row(db, order["order_no"])).status == "paid"


async def test_an_answer_other_than_success_is_retried_with_the_same_notify_id(db, session, client, alipay, app):
    """The shop answers ``fail`` with 200, then 503: neither is Alipay's ``success``, so both are retried."""
    answers = iter([(200, b"fail"), (503, b"")])

    async def flaky(scope, receive, send):
        answer = next(answers, None) if scope["type"] == "http" else None
        if answer is None:
            await app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": answer[0], "headers": []})
        await send({"type": "http.response.body", "body": answer[1]})

    order, headers = await pending_order(session, client, price=700)
    trade = await start_alipay(client, order, headers)
    alipay.delivery_transport = httpx.ASGITransport(app=flaky)

    paid = await client.post(f"{SANDBOX}/cashier/{trade['trade_no']}/pay")
    pending = (await order_row(db, order["order_no"])).status
    await alipay.drain()

    assert (paid.status_code, pending) == (200, "pending_payment")
    deliveries = alipay.trades[trade["out_trade_no"]].deliveries
    assert [(d.status_code, d.reply, d.acknowledged) for d in deliveries] == [
        (200, "fail", False),
        (503, "", False),
        (200, "success", True),
    ]
    assert len({d.notification_id for d in deliveries}) == 1
    assert (await order_row(db, order["order_no"])).status == "paid"


async def test_unknown_and_closed_trades_show_pages_and_bad_tester_requests_are_refused(session, client, alipay):
    unknown = await client.get(f"{SANDBOX}/cashier/2026010122001000000000000000")
    unknown_pay = await client.post(f"{SANDBOX}/cashier/2026010122001000000000000000/pay")
    order, headers = await pending_order(session, client)
    first = await start_alipay(client, order, headers, installments=3)
    await start_alipay(client, order, headers, installments=6)  # other terms close the first trade
    closed = await client.get(f"{SANDBOX}/cashier/{first['trade_no']}")
    closed_pay = await client.post(f"{SANDBOX}/cashier/{first['trade_no']}/pay")
    cancelled = await client.get(f"{SANDBOX}/cashier/{first['trade_no']}/cancel", params={"return_url": BACK})

    assert [r.status_code for r in (unknown, unknown_pay, closed, closed_pay)] == [404, 404, 409, 409]
    assert unknown.headers["content-type"] == "text/html; charset=utf-8"
    assert "支付链接无效" in unknown.text and "交易不存在" in unknown.text
    assert "订单已关闭" in closed.text and "确认付款" not in closed.text
    assert alipay.trades[first["out_trade_no"]].deliveries == []
    assert (cancelled.status_code, cancelled.headers["location"]) == (303, BACK)

    bad = [
        await client.post(f"{SANDBOX}/notifications/deliver", json=body)
        for body in (
            {"out_trade_no": first["out_trade_no"], "times": 11},
            {"out_trade_no": first["out_trade_no"], "variant": "stale"},
            {"times": 1},
            {"out_trade_no": first["out_trade_no"], "evil": True},
        )
    ]
    missing = await client.post(f"{SANDBOX}/notifications/deliver", json={"out_trade_no": "QM-NOPE"})
    missing_record = await client.get(f"{SANDBOX}/trades/QM-NOPE/deliveries")

    assert [r.status_code for r in bad] == [422, 422, 422, 422]
    assert (missing.status_code, missing.json()["code"]) == (404, "ACQ.TRADE_NOT_EXIST")
    assert missing_record.status_code == 404


async def test_make_run_wiring_over_a_real_socket_pays_without_deadlock(db, session, app, alipay):
    """As ``make run``: the app's own fake, a real socket; the cashier's POST awaits a delivery that comes back
    to the same server over the network."""
    alipay.delivery_transport = None

    async with served(app) as base, httpx.AsyncClient(base_url=base, trust_env=False, timeout=10) as http:
        order, headers = await pending_order(session, http, price=3300)
        trade = await start_alipay(http, order, headers)
        page = await http.get(f"{SANDBOX}/cashier/{trade['trade_no']}", params={"return_url": f"{base}/done"})
        paid = await asyncio.wait_for(http.post(pay_action(page.text)), timeout=15)

    assert (paid.status_code, paid.headers["location"]) == (303, f"{base}/done")
    [delivery] = alipay.trades[trade["out_trade_no"]].deliveries
    assert (delivery.notify_url, delivery.status_code, delivery.reply) == (
        f"{base}/api/v1/payments/alipay/notify",
        200,
        "success",
    )
    assert (await order_row(db, order["order_no"])).status == "paid"
