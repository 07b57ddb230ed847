"""The WeChat Pay sandbox beyond the API calls: H5 orders and their cashier links, the refund query, the cashier
pages, and notifications really POSTed to a merchant server (verified there with our client), retried, on request."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cache

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request, Response

from qingmall.core import clock
from qingmall.integrations.wechatpay import (
    SignatureVerifier,
    WeChatPayClient,
    WeChatPayGatewayError,
    WeChatPayVerificationError,
)
from qingmall.sandbox.wechatpay import WeChatPaySandbox, create_wechatpay_sandbox
from qingmall.sandbox.wechatpay_cashier import http_url, yuan

MCHID, APPID, MERCHANT_SERIAL = "1900000109", "wxpaytest0000001", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
APIV3_KEY = "a" * 16 + "0123456789ABCDEF"
NOTIFY_URL = "https://shop.example.com/api/v1/payments/wechat/notify"
REFUND_NOTIFY_URL = "https://shop.example.com/api/v1/payments/wechat/refund-notify"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
BACK = "https://shop.example.com/orders/1?from=pay"


@cache
def merchant_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def sandbox():
    clock.reset()
    state = WeChatPaySandbox(
        mchid=MCHID,
        appid=APPID,
        apiv3_key=APIV3_KEY,
        merchant_serial_no=MERCHANT_SERIAL,
        merchant_public_key=merchant_key().public_key(),
    )
    yield state
    await state.aclose()
    clock.reset()


@pytest.fixture
async def client(sandbox):
    wechatpay = WeChatPayClient(
        mchid=MCHID,
        merchant_serial_no=MERCHANT_SERIAL,
        merchant_private_key=merchant_key(),
        apiv3_key=APIV3_KEY,
        verifier=SignatureVerifier(public_keys={sandbox.public_key_id: sandbox.public_key}),
        base_url="http://wechatpay.test",
        transport=httpx.ASGITransport(app=create_wechatpay_sandbox(sandbox)),
    )
    yield wechatpay
    await wechatpay.aclose()


class Merchant:
    """A merchant server at ``shop.example.com``: verifies each notification with our client, answers from a
    script of status codes (then 204), and keeps what it received."""

    def __init__(self, client: WeChatPayClient, script: list[int] | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.verified: list[str] = []
        self.script = list(script or [])
        app = FastAPI()

        @app.post("/api/v1/payments/wechat/notify")
        @app.post("/api/v1/payments/wechat/refund-notify")
        async def notify(request: Request) -> Response:
            body = await request.body()
            self.received.append((dict(request.headers), body))
            try:
                client.verifier.verify_headers(request.headers, body)
            except WeChatPayVerificationError:
                return Response(b'{"code":"rejected_signature"}', status_code=401)
            self.verified.append(orjson.loads(body)["event_type"])
            return Response(status_code=self.script.pop(0) if self.script else 204)

        self.transport = httpx.ASGITransport(app=app)


@pytest.fixture
def merchant(sandbox, client) -> Merchant:
    server = Merchant(client)
    sandbox.delivery_transport = server.transport
    return server


@pytest.fixture
async def browser(sandbox):
    """A browser on the fake mounted as ``make run`` mounts it."""
    outer = FastAPI()
    outer.mount("/sandbox/wechatpay", create_wechatpay_sandbox(sandbox))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=outer), base_url="http://shop.example.com") as c:
        yield c


async def h5(
    client: WeChatPayClient,
    out_trade_no: str,
    *,
    total: int = 2990,
    ip: str = "203.0.113.7",
    description: str = "轻商城订单 2026010100001",
) -> str:
    return await client.h5_prepay(
        appid=APPID,
        description=description,
        out_trade_no=out_trade_no,
        total=total,
        notify_url=NOTIFY_URL,
        payer_client_ip=ip,
    )


def pay_action(page: str) -> str:
    [action] = re.findall(r'<form method="post" action="([^"]+)">', page)
    return action.replace("&amp;", "&")


# --- the API ---------------------------------------------------------------------------------------------------


async def test_h5_prepay_gives_a_fresh_cashier_link_each_time_and_keeps_the_order_rules(sandbox, client):
    first = await h5(client, "QM-H5-000001")
    second = await h5(client, "QM-H5-000001")

    assert re.fullmatch(r"/sandbox/wechatpay/cashier/[A-Za-z0-9_-]{32}", first)
    assert second != first and sandbox.calls["h5"] == 2
    order = sandbox.orders["QM-H5-000001"]
    assert (order.trade_type, order.total, order.openid, order.payer_client_ip) == ("MWEB", 2990, "", "203.0.113.7")
    unpaid = await client.query_by_out_trade_no("QM-H5-000001")
    assert (unpaid.trade_state, unpaid.openid, unpaid.total) == ("NOTPAY", None, 2990)

    with pytest.raises(WeChatPayGatewayError) as changed:
        await h5(client, "QM-H5-000001", total=1)
    with pytest.raises(WeChatPayGatewayError) as as_jsapi:
        await client.jsapi_prepay(
            appid=APPID,
            description="轻商城订单 2026010100001",
            out_trade_no="QM-H5-000001",
            total=2990,
            openid=OPENID,
            notify_url=NOTIFY_URL,
        )
    with pytest.raises(WeChatPayGatewayError) as no_ip:
        await h5(client, "QM-H5-000002", ip="")
    assert [(e.value.status_code, e.value.code) for e in (changed, as_jsapi, no_ip)] == [
        (400, "INVALID_REQUEST"),
        (400, "INVALID_REQUEST"),
        (400, "PARAM_ERROR"),
    ]

    sandbox.pay("QM-H5-000001")
    paid = await client.query_by_out_trade_no("QM-H5-000001")
    assert paid.trade_state == "SUCCESS" and paid.openid is not None and len(paid.openid) == 28
    with pytest.raises(WeChatPayGatewayError) as again:
        await h5(client, "QM-H5-000001")
    assert again.value.code == "ORDERPAID"

    sandbox.public_base_url = "https://pay.example.com/sandbox/wechatpay/"
    assert (await h5(client, "QM-H5-000003")).startswith("https://pay.example.com/sandbox/wechatpay/cashier/")


async def test_refund_query_follows_the_refund_from_processing_to_success(sandbox, client):
    await client.jsapi_prepay(
        appid=APPID, description="d", out_trade_no="QM-RQ-000001", total=5000, openid=OPENID, notify_url=NOTIFY_URL
    )
    paid = sandbox.pay("QM-RQ-000001")
    created = await client.refund(out_refund_no="QM-RQ-000001R1", out_trade_no="QM-RQ-000001", refund=1200, total=5000)

    processing = await client.query_refund("QM-RQ-000001R1")
    sandbox.complete_refund("QM-RQ-000001R1")
    succeeded = await client.query_refund("QM-RQ-000001R1")

    assert (processing.status, processing.refund_id, processing.refund, processing.success_time) == (
        "PROCESSING",
        created.refund_id,
        1200,
        None,
    )
    assert (succeeded.status, succeeded.transaction_id, succeeded.total) == ("SUCCESS", paid.transaction_id, 5000)
    assert succeeded.success_time is not None
    with pytest.raises(WeChatPayGatewayError) as missing:
        await client.query_refund("QM-RQ-NOPE")
    assert (missing.value.status_code, missing.value.code) == (404, "RESOURCE_NOT_EXISTS")
    assert sandbox.complete_refund("QM-RQ-000001R1").status == "SUCCESS"  # completing again restores nothing
    assert sandbox.orders["QM-RQ-000001"].refunded == 1200


# --- the cashier -----------------------------------------------------------------------------------------------


def test_amounts_are_shown_in_yuan_from_fen_and_only_http_urls_are_redirect_targets():
    assert [yuan(n) for n in (1, 10, 100, 2990, 123456, 0)] == ["0.01", "0.10", "1.00", "29.90", "1234.56", "0.00"]
    assert http_url("https://shop.example.com/x?a=1") == "https://shop.example.com/x?a=1"
    refused = ("javascript:alert(1)", "/orders/1", "//evil.example", "https://a b", "http://[x/", "", None)
    assert [http_url(u) for u in refused] == [None] * len(refused)


async def test_cashier_page_shows_merchant_description_and_yuan_amount_and_escapes_text(sandbox, client, browser):
    link = await h5(client, "QM-PAGE-00001", total=5980, description="轻商城订单 <b>加急</b>")

    response = await browser.get(link, params={"redirect_url": BACK})

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<html lang="zh-CN">' in page and "width=device-width" in page and "max-width:390px" in page
    assert 'font-family:system-ui,-apple-system,"PingFang SC","WenQuanYi Micro Hei",sans-serif' in page
    assert '<div class="merchant">轻商城</div>' in page
    assert '<div class="desc">轻商城订单 &lt;b&gt;加急&lt;/b&gt;</div>' in page
    assert '<div class="amount"><small>¥</small>59.80</div>' in page
    assert ">确认支付</button>" in page and ">取消</a>" in page and "QM-PAGE-00001" in page
    token = link.rsplit("/", 1)[1]
    assert (
        pay_action(page) == f"/sandbox/wechatpay/cashier/{token}/pay?redirect_url=https%3A%2F%2Fshop.example.com"
        "%2Forders%2F1%3Ffrom%3Dpay"
    )
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_paying_delivers_a_verifiable_notification_then_redirects_and_a_second_tap_sends_nothing(
    sandbox, client, browser, merchant
):
    link = await h5(client, "QM-PAY-000001", total=2990)
    page = (await browser.get(link, params={"redirect_url": BACK})).text

    paid = await browser.post(pay_action(page))
    again = await browser.post(pay_action(page))

    assert (paid.status_code, paid.headers["location"]) == (303, BACK)
    assert (again.status_code, again.headers["location"]) == (303, BACK)
    assert merchant.verified == ["TRANSACTION.SUCCESS"]
    headers, body = merchant.received[0]
    notification = client.parse_payment_notification(headers, body)
    order = sandbox.orders["QM-PAY-000001"]
    assert (notification.transaction.trade_state, notification.transaction.transaction_id) == (
        "SUCCESS",
        order.transaction_id,
    )
    assert (notification.transaction.total, notification.transaction.openid) == (2990, order.openid)
    assert [(d.status_code, d.event_type, d.notify_url) for d in order.deliveries] == [
        (204, "TRANSACTION.SUCCESS", NOTIFY_URL)
    ]
    no_return = await browser.post(f"{link}/pay", params={"redirect_url": "javascript:alert(1)"})
    assert no_return.status_code == 200 and "支付成功" in no_return.text and "29.90" in no_return.text
    assert len(merchant.received) == 1


async def test_jsapi_orders_have_a_browser_cashier_too(sandbox, client, browser, merchant):
    prepay_id = await client.jsapi_prepay(
        appid=APPID,
        description="小程序订单",
        out_trade_no="QM-JS-000001",
        total=100,
        openid=OPENID,
        notify_url=NOTIFY_URL,
    )

    page = await browser.get(f"/sandbox/wechatpay/cashier/jsapi/{prepay_id}")
    paid = await browser.post(pay_action(page.text))

    assert page.status_code == 200 and "<small>¥</small>1.00" in page.text and "小程序支付" in page.text
    assert paid.status_code == 200 and "支付成功" in paid.text
    assert sandbox.orders["QM-JS-000001"].trade_state == "SUCCESS"
    assert merchant.verified == ["TRANSACTION.SUCCESS"]
    shown_again = await browser.get(f"/sandbox/wechatpay/cashier/jsapi/{prepay_id}")
    assert shown_again.status_code == 409 and "订单已支付" in shown_again.text


async def test_unknown_expired_and_closed_links_show_pages_not_errors(sandbox, client, browser):
    unknown = await browser.get("/sandbox/wechatpay/cashier/no-such-token")
    unknown_pay = await browser.post("/sandbox/wechatpay/cashier/no-such-token/pay")
    unknown_jsapi = await browser.get("/sandbox/wechatpay/cashier/jsapi/wx0000")
    link = await h5(client, "QM-OLD-000001")
    closing = await h5(client, "QM-CLOSE-0001")
    await client.close("QM-CLOSE-0001")
    closed = await browser.get(closing)
    clock.advance(timedelta(minutes=5, seconds=1))
    expired = await browser.get(link)

    assert [r.status_code for r in (unknown, unknown_pay, unknown_jsapi, closed, expired)] == [404, 404, 404, 409, 410]
    assert "支付链接无效" in unknown.text and "text/html" in unknown.headers["content-type"]
    assert "订单已关闭" in closed.text and "确认支付" not in closed.text
    assert "支付链接已过期" in expired.text
    cancelled = await browser.get(f"{closing}/cancel", params={"redirect_url": BACK})
    assert (cancelled.status_code, cancelled.headers["location"]) == (303, BACK)


# --- delivery --------------------------------------------------------------------------------------------------


async def test_an_unacknowledged_notification_is_retried_with_the_same_id_until_acknowledged(
    sandbox, client, browser, merchant
):
    merchant.script = [500, 503]
    sandbox.retry_delays = (0.01, 0.02, 0.04, 0.08)
    link = await h5(client, "QM-RETRY-0001")

    await browser.post(f"{link}/pay")
    await sandbox.drain()

    order = sandbox.orders["QM-RETRY-0001"]
    assert [d.status_code for d in order.deliveries] == [500, 503, 204]
    ids = {orjson.loads(body)["id"] for _headers, body in merchant.received}
    nonces = {headers["wechatpay-nonce"] for headers, _body in merchant.received}
    assert (len(ids), len(nonces), merchant.verified) == (1, 3, ["TRANSACTION.SUCCESS"] * 3)


async def test_delivery_to_a_server_that_is_down_gives_up_after_the_bounded_schedule(sandbox, client, browser):
    class Down(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

    sandbox.delivery_transport = Down()
    sandbox.retry_delays = (0.01, 0.01)
    link = await h5(client, "QM-DOWN-00001")

    paid = await browser.post(f"{link}/pay", params={"redirect_url": BACK})
    await sandbox.drain()

    assert paid.status_code == 303
    deliveries = sandbox.orders["QM-DOWN-00001"].deliveries
    assert [(d.status_code, d.error) for d in deliveries] == [(None, "ConnectError: connection refused")] * 3
    assert sandbox.orders["QM-DOWN-00001"].trade_state == "SUCCESS"


async def test_notifications_on_request_report_what_the_merchant_answered(sandbox, client, browser, merchant):
    await h5(client, "QM-ASK-000001")
    sandbox.pay("QM-ASK-000001")

    forged = await browser.post(
        "/sandbox/wechatpay/notifications/deliver",
        json={"out_trade_no": "QM-ASK-000001", "variant": "forged", "times": 2},
    )
    valid = await browser.post(
        "/sandbox/wechatpay/notifications/deliver",
        json={"out_trade_no": "QM-ASK-000001", "times": 3, "concurrently": True},
    )
    record = await browser.get("/sandbox/wechatpay/orders/QM-ASK-000001/deliveries")

    assert forged.status_code == 200
    assert (forged.json()["statuses"], forged.json()["event_type"]) == ([401, 401], "TRANSACTION.SUCCESS")
    assert forged.json()["deliveries"][0]["reply"] == '{"code":"rejected_signature"}'
    assert valid.json()["statuses"] == [204, 204, 204]
    assert len({orjson.loads(body)["id"] for _h, body in merchant.received[2:]}) == 1
    assert [d["variant"] for d in record.json()["deliveries"]] == ["forged", "forged", "valid", "valid", "valid"]
    bad = [
        await browser.post("/sandbox/wechatpay/notifications/deliver", json=body)
        for body in (
            {"out_trade_no": "QM-ASK-000001", "times": 11},
            {"times": 1},
            {"out_trade_no": "QM-ASK-000001", "out_refund_no": "R1"},
            {"out_trade_no": "QM-ASK-000001", "variant": "evil"},
        )
    ]
    assert [r.status_code for r in bad] == [422, 422, 422, 422]
    missing = await browser.post("/sandbox/wechatpay/notifications/deliver", json={"out_trade_no": "QM-NOPE-0001"})
    assert (missing.status_code, missing.json()["code"]) == (404, "ORDER_NOT_EXIST")


async def test_refunds_complete_on_request_or_by_themselves_and_deliver_refund_success(
    sandbox, client, browser, merchant
):
    await client.jsapi_prepay(
        appid=APPID, description="d", out_trade_no="QM-REF-000001", total=3000, openid=OPENID, notify_url=NOTIFY_URL
    )
    sandbox.pay("QM-REF-000001")
    await client.refund(
        out_refund_no="QM-REF-000001R1",
        out_trade_no="QM-REF-000001",
        refund=1000,
        total=3000,
        notify_url=REFUND_NOTIFY_URL,
    )

    completed = await browser.post("/sandbox/wechatpay/refunds/QM-REF-000001R1/complete")
    twice = await browser.post("/sandbox/wechatpay/refunds/QM-REF-000001R1/complete")
    unknown = await browser.post("/sandbox/wechatpay/refunds/QM-NOPE/complete")

    assert completed.status_code == 200
    assert (completed.json()["status"], completed.json()["delivery"]["status_code"]) == ("SUCCESS", 204)
    assert completed.json()["delivery"]["notify_url"] == REFUND_NOTIFY_URL
    assert (twice.status_code, twice.json()["code"]) == (409, "REFUND_NOT_PROCESSING")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "RESOURCE_NOT_EXISTS")
    note = client.parse_refund_notification(*merchant.received[0])
    assert (note.envelope.event_type, note.refund.status, note.refund.refund) == ("REFUND.SUCCESS", "SUCCESS", 1000)

    sandbox.refund_completion_delay = 0.01
    await client.refund(
        out_refund_no="QM-REF-000001R2",
        out_trade_no="QM-REF-000001",
        refund=2000,
        total=3000,
        notify_url=REFUND_NOTIFY_URL,
    )
    assert sandbox.refunds["QM-REF-000001R2"].status == "PROCESSING"
    await sandbox.drain()

    assert sandbox.refunds["QM-REF-000001R2"].status == "SUCCESS"
    assert [d.status_code for d in sandbox.refunds["QM-REF-000001R2"].deliveries] == [204]
    assert merchant.verified == ["REFUND.SUCCESS", "REFUND.SUCCESS"]
    record = await browser.get("/sandbox/wechatpay/refunds/QM-REF-000001R2/deliveries")
    assert record.json()["status"] == "SUCCESS" and len(record.json()["deliveries"]) == 1


async def test_a_refund_completed_as_abnormal_is_notified_and_gives_the_amount_back(sandbox, client, browser, merchant):
    await client.jsapi_prepay(
        appid=APPID, description="d", out_trade_no="QM-ABN-000001", total=800, openid=OPENID, notify_url=NOTIFY_URL
    )
    sandbox.pay("QM-ABN-000001")
    await client.refund(
        out_refund_no="QM-ABN-000001R1",
        out_trade_no="QM-ABN-000001",
        refund=800,
        total=800,
        notify_url=REFUND_NOTIFY_URL,
    )

    response = await browser.post("/sandbox/wechatpay/refunds/QM-ABN-000001R1/complete", json={"status": "ABNORMAL"})

    assert (response.status_code, response.json()["delivery"]["event_type"]) == (200, "REFUND.ABNORMAL")
    assert (sandbox.orders["QM-ABN-000001"].refunded, sandbox.orders["QM-ABN-000001"].trade_state) == (0, "SUCCESS")
    assert client.parse_refund_notification(*merchant.received[0]).refund.status == "ABNORMAL"
