"""WeChat Pay H5 end to end over HTTP: a mobile-browser shopper (SMS login, no openid) gets an ``h5_url``, pays
in the sandbox cashier, and the sandbox POSTs the notification into the app (as WeChat Pay does), including
duplicates, forgeries, refunds of payments the order could not take, and a run over a real socket."""

from __future__ import annotations

import asyncio
import re
import socket
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select, update

from qingmall.orders.models import Order
from qingmall.payments.models import PaymentAttempt, PaymentNotification, Refund
from qingmall.payments.setup import build_payment_setup
from qingmall.sandbox.wechatpay import create_wechatpay_sandbox
from qingmall.shoppers.models import Shopper
from tests.orders.orders_testkit import create_order, make_buyer, make_sku

SANDBOX = "/sandbox/wechatpay"


@pytest.fixture
async def browser(sandbox, app):
    """A mobile browser reaching the test's sandbox mounted as ``make run`` mounts it; the sandbox delivers its
    notifications into the app (in-process), retrying quickly."""
    sandbox.delivery_transport = httpx.ASGITransport(app=app)
    sandbox.retry_delays = (0.01, 0.02)
    outer = FastAPI()
    outer.mount(SANDBOX, create_wechatpay_sandbox(sandbox))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=outer), base_url="http://testserver") as c:
        yield c
    await sandbox.aclose()


async def sms_order(session, client, *, price: int = 2990, quantity: int = 1) -> tuple[dict, dict, int]:
    """A pending order of a shopper who logged in by SMS (no openid): ``(order, headers, shopper id)``."""
    sku_id = await make_sku(session, price=price)
    shopper, headers, address_id = await make_buyer(session)
    shopper_id = shopper.id
    await session.execute(update(Shopper).where(Shopper.id == shopper_id).values(openid=None))
    await session.commit()
    order = await create_order(client, headers, address_id, [(sku_id, quantity)])
    return order, headers, shopper_id


async def pay_h5(client, order: dict, headers: dict, redirect_url: str | None = None) -> str:
    body = {"redirect_url": redirect_url} if redirect_url is not None else {}
    response = await client.post(f"/api/v1/orders/{order['order_no']}/pay/wechat-h5", headers=headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()["h5_url"]


def pay_action(page: str) -> str:
    [action] = re.findall(r'<form method="post" action="([^"]+)">', page)
    return action.replace("&amp;", "&")


async def deliver(browser, **body) -> dict:
    response = await browser.post(f"{SANDBOX}/notifications/deliver", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def order_row(db, order_no: str) -> Order:
    async with db.sessionmaker() as s:
        return (await s.execute(select(Order).where(Order.order_no == order_no))).scalar_one()


async def rows(db, model, *where):
    async with db.sessionmaker() as s:
        return list(await s.scalars(select(model).where(*where).order_by(model.id)))


async def test_shopper_pays_in_the_h5_cashier_and_the_delivered_notification_marks_the_order_paid(
    db, session, client, browser, sandbox
):
    order, headers, shopper_id = await sms_order(session, client, price=2990, quantity=2)
    order_no = order["order_no"]

    h5_url = await pay_h5(client, order, headers, redirect_url=f"/orders/{order_no}?paid=1")
    page = await browser.get(h5_url)
    paid = await browser.post(pay_action(page.text))

    link, query = h5_url.split("?")
    assert re.fullmatch(rf"{SANDBOX}/cashier/[A-Za-z0-9_-]{{32}}", link)
    assert parse_qs(query) == {"redirect_url": [f"http://testserver/orders/{order_no}?paid=1"]}
    assert page.status_code == 200
    assert '<div class="amount"><small>¥</small>59.80</div>' in page.text
    assert f"轻商城订单 {order_no}" in page.text and "确认支付" in page.text and "取消" in page.text
    assert (paid.status_code, paid.headers["location"]) == (303, f"http://testserver/orders/{order_no}?paid=1")
    out_trade_no = f"{order_no}W1"
    gateway_order = sandbox.orders[out_trade_no]
    assert (gateway_order.trade_type, gateway_order.total, gateway_order.payer_client_ip) == ("MWEB", 5980, "127.0.0.1")
    assert gateway_order.notify_url == "http://testserver/api/v1/payments/wechat/notify"
    assert [(d.status_code, d.event_type) for d in gateway_order.deliveries] == [(204, "TRANSACTION.SUCCESS")]
    row = await order_row(db, order_no)
    assert (row.status, row.paid_amount, row.payment_ref) == ("paid", 5980, gateway_order.transaction_id)
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.prepay_id, attempt.payer_shopper_id, attempt.amount) == (
        "paid",
        "h5",
        shopper_id,
        5980,
    )
    [log] = await rows(db, PaymentNotification)
    assert (log.outcome, log.out_trade_no) == ("applied", out_trade_no)
    second_tap = await browser.post(pay_action(page.text))
    assert second_tap.status_code == 303 and len(gateway_order.deliveries) == 1
    after = await client.post(f"/api/v1/orders/{order_no}/pay/wechat-h5", headers=headers, json={})
    assert (after.status_code, after.json()["code"]) == (409, "order_not_payable")


async def test_h5_tap_again_reuses_the_attempt_and_switching_to_jsapi_and_back_closes_the_other(
    db, session, client, sandbox
):
    sku_id = await make_sku(session, price=1000)
    _shopper, headers, address_id = await make_buyer(session)  # has an openid: may pay either way
    order = await create_order(client, headers, address_id, [(sku_id, 1)])
    order_no = order["order_no"]

    first = await pay_h5(client, order, headers)
    second = await pay_h5(client, order, headers, redirect_url="http://testserver/done")
    jsapi = await client.post(f"/api/v1/orders/{order_no}/pay/wechat", headers=headers)
    third = await pay_h5(client, order, headers)

    assert first != second.split("?")[0] and "redirect_url=http%3A%2F%2Ftestserver%2Fdone" in second
    assert "?" not in first and sandbox.calls["h5"] == 3 and sandbox.calls["jsapi"] == 1
    assert (
        jsapi.status_code == 200 and jsapi.json()["package"] == f"prepay_id={sandbox.orders[f'{order_no}W2'].prepay_id}"
    )
    assert [(a.out_trade_no, a.status, a.prepay_id[:2]) for a in await rows(db, PaymentAttempt)] == [
        (f"{order_no}W1", "closed", "h5"),
        (f"{order_no}W2", "closed", "wx"),
        (f"{order_no}W3", "created", "h5"),
    ]
    assert [sandbox.orders[f"{order_no}W{n}"].trade_state for n in (1, 2, 3)] == ["CLOSED", "CLOSED", "NOTPAY"]
    assert third.startswith(f"{SANDBOX}/cashier/")


async def test_two_concurrent_h5_taps_share_one_attempt(db, session, client, sandbox):
    order, headers, _ = await sms_order(session, client, price=1200)

    first, second = await asyncio.gather(pay_h5(client, order, headers), pay_h5(client, order, headers))

    assert first.startswith(f"{SANDBOX}/cashier/") and second.startswith(f"{SANDBOX}/cashier/")
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.out_trade_no, attempt.status, attempt.prepay_id) == (f"{order['order_no']}W1", "created", "h5")
    # both links open the attempt's trade (a loser of the race may have left an unused trade at the gateway)
    tokens = [url.rsplit("/", 1)[1] for url in (first, second)]
    assert [sandbox.cashier_links[t].out_trade_no for t in tokens] == [f"{order['order_no']}W1"] * 2


async def test_the_same_notification_delivered_three_times_at_once_is_applied_once(
    db, session, client, browser, sandbox
):
    order, headers, _ = await sms_order(session, client, price=1500)
    await pay_h5(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    paid = sandbox.pay(out_trade_no)  # paid at WeChat; nothing delivered yet

    at_once = await deliver(browser, out_trade_no=out_trade_no, times=3, concurrently=True)
    later = await deliver(browser, out_trade_no=out_trade_no)

    assert (at_once["statuses"], later["statuses"]) == ([204, 204, 204], [204])
    row = await order_row(db, order["order_no"])
    assert (row.status, row.paid_amount, row.payment_ref) == ("paid", 1500, paid.transaction_id)
    assert [n.outcome for n in await rows(db, PaymentNotification)] == ["applied", "duplicate"]
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.transaction_id) == ("paid", paid.transaction_id)


@pytest.mark.parametrize(
    ("variant", "code"),
    [("forged", "rejected_signature"), ("stale", "rejected_stale"), ("probe", "rejected_probe")],
)
async def test_forged_stale_and_probe_notifications_get_401_and_leave_the_order_unpaid(
    db, session, client, browser, sandbox, variant, code
):
    order, headers, _ = await sms_order(session, client)
    await pay_h5(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    sandbox.pay(out_trade_no)

    refused = await deliver(browser, out_trade_no=out_trade_no, variant=variant, times=2)

    assert refused["statuses"] == [401, 401]
    assert f'"code":"{code}"' in refused["deliveries"][0]["reply"]
    assert (await order_row(db, order["order_no"])).status == "pending_payment"
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.transaction_id) == ("created", None)
    assert [(n.outcome, n.notification_id) for n in await rows(db, PaymentNotification)] == [(code, None)] * 2
    genuine = await deliver(browser, out_trade_no=out_trade_no)
    assert genuine["statuses"] == [204]
    assert (await order_row(db, order["order_no"])).status == "paid"


async def test_paying_a_cancelled_order_is_refunded_and_refund_success_settles_the_refund(
    db, session, client, browser, sandbox
):
    order, headers, _ = await sms_order(session, client, price=4200)
    h5_url = await pay_h5(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    cancelled = await client.post(f"/api/v1/orders/{order['order_no']}/cancel", headers=headers, json={})
    assert cancelled.status_code == 200, cancelled.text

    paid = await browser.post(f"{h5_url}/pay")  # the shopper had the cashier open and paid anyway
    [refund] = await rows(db, Refund)
    processing = refund.status
    completed = await browser.post(f"{SANDBOX}/refunds/{out_trade_no}R1/complete")

    assert paid.status_code == 200 and "支付成功" in paid.text
    assert (processing, refund.amount, refund.out_refund_no) == ("processing", 4200, f"{out_trade_no}R1")
    assert sandbox.refunds[f"{out_trade_no}R1"].notify_url == "http://testserver/api/v1/payments/wechat/refund-notify"
    assert completed.status_code == 200, completed.text
    assert (completed.json()["delivery"]["event_type"], completed.json()["delivery"]["status_code"]) == (
        "REFUND.SUCCESS",
        204,
    )
    [refund] = await rows(db, Refund)
    assert (refund.status, refund.refund_id) == ("success", sandbox.refunds[f"{out_trade_no}R1"].refund_id)
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.refunded_amount) == ("refunded", 4200)
    assert (await order_row(db, order["order_no"])).status == "cancelled"
    assert [n.outcome for n in await rows(db, PaymentNotification)] == ["refund_requested", "refund_settled"]
    redelivered = await deliver(browser, out_refund_no=f"{out_trade_no}R1")
    assert redelivered["statuses"] == [204]
    assert [n.outcome for n in await rows(db, PaymentNotification)][-1] == "duplicate"


async def test_the_sandbox_completes_a_refund_by_itself_when_told_to(db, session, client, browser, sandbox):
    sandbox.refund_completion_delay = 0.01
    order, headers, _ = await sms_order(session, client, price=990)
    h5_url = await pay_h5(client, order, headers)
    await client.post(f"/api/v1/orders/{order['order_no']}/cancel", headers=headers, json={})

    await browser.post(f"{h5_url}/pay")
    await sandbox.drain()

    [refund] = await rows(db, Refund)
    assert (refund.status, refund.amount) == ("success", 990)
    assert [d.status_code for d in sandbox.refunds[refund.out_refund_no].deliveries] == [204]


async def test_a_notification_the_app_could_not_take_is_retried_until_it_is(db, session, client, sandbox, app):
    """The app answers 503 twice (as if busy); the sandbox retries in the background and the third lands."""
    answers = iter([503, 503])

    async def flaky(scope, receive, send):
        status = next(answers, None)
        if scope["type"] != "http" or status is None:
            await app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    order, headers, _ = await sms_order(session, client, price=700)
    h5_url = await pay_h5(client, order, headers)
    sandbox.delivery_transport = httpx.ASGITransport(app=flaky)
    sandbox.retry_delays = (0.01, 0.02, 0.04)
    outer = FastAPI()
    outer.mount(SANDBOX, create_wechatpay_sandbox(sandbox))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=outer), base_url="http://testserver") as browser:
        paid = await browser.post(f"{h5_url}/pay")
        pending = (await order_row(db, order["order_no"])).status
        await sandbox.drain()

    assert (paid.status_code, pending) == (200, "pending_payment")
    assert [d.status_code for d in sandbox.orders[f"{order['order_no']}W1"].deliveries] == [503, 503, 204]
    assert (await order_row(db, order["order_no"])).status == "paid"


@pytest.mark.parametrize(
    "redirect_url",
    [
        "https://evil.example",
        "https://evil.example/orders/1",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
        "https://testserver/orders/1",
        "http://user@testserver/",
        "/orders/1\r\nLocation: https://evil.example",
        "evil.example",
        "http://[testserver/",
    ],
)
async def test_a_redirect_to_another_site_is_refused_before_anything_is_created(
    db, session, client, sandbox, redirect_url
):
    order, headers, _ = await sms_order(session, client)

    response = await client.post(
        f"/api/v1/orders/{order['order_no']}/pay/wechat-h5", headers=headers, json={"redirect_url": redirect_url}
    )

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_redirect_url", "message": "支付完成后的返回地址必须是本店的页面"}
    assert sandbox.calls["h5"] == 0
    assert await rows(db, PaymentAttempt) == []


async def test_h5_route_refuses_unknown_fields_other_shoppers_and_anonymous_callers(db, session, client, sandbox):
    order, headers, _ = await sms_order(session, client)
    _other, other_headers, _ = await make_buyer(session)
    await session.rollback()
    url = f"/api/v1/orders/{order['order_no']}/pay/wechat-h5"

    unknown_field = await client.post(url, headers=headers, json={"redirect": "/x"})
    foreign = await client.post(url, headers=other_headers, json={})
    anonymous = await client.post(url, json={})
    no_body = await client.post(url, headers=headers)

    assert (unknown_field.status_code, foreign.status_code, anonymous.status_code) == (422, 404, 401)
    assert no_body.status_code == 200 and "redirect_url" not in no_body.json()["h5_url"]


async def test_unknown_cashier_link_on_the_mounted_sandbox_is_a_404_page(client):
    response = await client.get(f"{SANDBOX}/cashier/not-a-real-token")

    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "支付链接无效" in response.text and "支付链接不存在" in response.text


async def test_make_run_wiring_over_a_real_socket_pays_without_deadlock(db, session, app, settings):
    """As ``make run``: the app's own sandbox mount and gateways, a real uvicorn socket; the cashier's POST awaits
    a delivery that comes back to the same server over the network."""
    app.state.payment_gateways = build_payment_setup(settings).gateways
    state = app.state.payment_sandboxes["wechatpay"]
    state.delivery_transport, state.public_base_url = None, ""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=10) as http:
            order, headers, _ = await sms_order(session, http, price=3300)
            h5_url = await pay_h5(http, order, headers, redirect_url="/orders/done")
            page = await http.get(h5_url)
            paid = await asyncio.wait_for(http.post(pay_action(page.text)), timeout=15)
    finally:
        server.should_exit = True
        await serving
        listener.close()

    assert (paid.status_code, paid.headers["location"]) == (303, f"{base}/orders/done")
    out_trade_no = f"{order['order_no']}W1"
    assert urlsplit(state.orders[out_trade_no].notify_url).netloc == f"127.0.0.1:{port}"
    assert [d.status_code for d in state.orders[out_trade_no].deliveries] == [204]
    assert (await order_row(db, order["order_no"])).status == "paid"
