"""Issue 3 acceptance: every way to pay and to get money back, through the HTTP API, on SQLite and PostgreSQL.

The app is built exactly as ``make run`` builds it (``create_app`` with development settings): its payment
gateways are the in-process WeChat Pay and Alipay sandboxes from ``payments/setup.py``, so these flows also
prove the demo shop's wiring. The gateway's side (the payer confirming, the notification arriving) is
played through the sandbox state the app mounted.
"""

from __future__ import annotations

import itertools

from sqlalchemy import select

from qingmall.orders.models import Order
from qingmall.payments.models import PaymentAttempt, Refund
from qingmall.wallet import service as wallet_service
from tests.factories import make_staff, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku

ALIPAY_OPEN_ID = "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo"
SHIP = {"carrier_code": "SF", "carrier_name": "顺丰速运", "tracking_no": "SF1234567890"}
_keys = itertools.count(1)


class Shop:
    """The app under test, its sandboxes, and a few verbs a shopper, a friend and the merchant use."""

    def __init__(self, app, client, session, db) -> None:
        self.client, self.session, self.db = client, session, db
        self.wechatpay = app.state.payment_sandboxes["wechatpay"]
        self.alipay = app.state.payment_sandboxes["alipay"]

    async def order(self, price: int, quantity: int = 1, buyer=None) -> tuple[dict, dict]:
        sku_id = await make_sku(self.session, price=price)
        _shopper, headers, address_id = buyer or await make_buyer(self.session)
        await self.session.rollback()
        return await create_order(self.client, headers, address_id, [(sku_id, quantity)]), headers

    async def post(self, path: str, headers: dict, body: dict | None = None, expect: int = 200) -> dict:
        response = await self.client.post(path, headers=headers, json=body)
        assert response.status_code == expect, response.text
        return response.json() if response.content else {}

    async def pay_wechat(self, order_no: str, headers: dict, path: str | None = None) -> str:
        """The shopper taps pay, confirms in WeChat, and WeChat Pay notifies the app; returns out_trade_no."""
        params = await self.post(path or f"/api/v1/orders/{order_no}/pay/wechat", headers)
        assert params["package"].startswith("prepay_id=")
        out_trade_no = next(
            no for no, o in self.wechatpay.orders.items() if f"prepay_id={o.prepay_id}" == params["package"]
        )
        self.wechatpay.pay(out_trade_no)
        await self.deliver_wechat(self.wechatpay.build_notification(out_trade_no))
        return out_trade_no

    async def deliver_wechat(self, notification, path: str = "/api/v1/payments/wechat/notify") -> None:
        response = await self.client.post(path, content=notification.body, headers=notification.headers)
        assert response.status_code == 204, response.text

    async def order_row(self, order_no: str) -> Order:
        async with self.db.sessionmaker() as s:
            return (await s.execute(select(Order).where(Order.order_no == order_no))).scalar_one()

    async def refunds(self) -> list[Refund]:
        async with self.db.sessionmaker() as s:
            return list(await s.scalars(select(Refund).order_by(Refund.id)))

    async def balance(self, headers: dict) -> int:
        response = await self.client.get("/api/v1/wallet", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["balance"]

    async def ledger_problems(self) -> list:
        async with self.db.sessionmaker() as s:
            return await wallet_service.check_ledger(s)

    async def staff(self) -> dict:
        return staff_headers(await make_staff(self.session, role="owner"))

    def after_sale(self, kind: str, lines: list[tuple[int, int]]) -> dict:
        return {
            "kind": kind, "lines": [{"order_line_id": i, "quantity": q} for i, q in lines],
            "reason_code": "quality_issue" if kind == "return_refund" else "no_longer_needed",
            "description": "", "photos": [], "idempotency_key": f"acceptance-{next(_keys):06d}",
        }


async def shop_of(app, client, session, db) -> Shop:
    return Shop(app, client, session, db)


async def test_pay_by_wechat(app, client, session, db):
    shop = await shop_of(app, client, session, db)
    order, headers = await shop.order(price=3990, quantity=2)

    out_trade_no = await shop.pay_wechat(order["order_no"], headers)

    row = await shop.order_row(order["order_no"])
    assert (row.status, row.paid_amount, row.payment_ref) == (
        "paid", 7980, shop.wechatpay.orders[out_trade_no].transaction_id,
    )
    detail = (await client.get(f"/api/v1/orders/{order['order_no']}", headers=headers)).json()
    assert (detail["status"], detail["paid_amount"]) == ("paid", 7980)


async def test_pay_by_alipay_in_three_installments(app, client, session, db):
    shop = await shop_of(app, client, session, db)
    order, headers = await shop.order(price=59900)

    trade = await shop.post(f"/api/v1/orders/{order['order_no']}/pay/alipay", headers,
                            {"installments": 3, "buyer_open_id": ALIPAY_OPEN_ID})
    shop.alipay.pay(trade["out_trade_no"])
    reply = await client.post("/api/v1/payments/alipay/notify",
                              data=shop.alipay.build_notification(trade["out_trade_no"]))

    assert (reply.status_code, reply.text) == (200, "success")
    assert (trade["installments"], trade["amount"]) == (3, 59900)
    assert shop.alipay.trades[trade["out_trade_no"]].extend_params["hb_fq_num"] == "3"
    row = await shop.order_row(order["order_no"])
    assert (row.status, row.paid_amount) == ("paid", 59900)
    async with db.sessionmaker() as s:
        attempt = (await s.execute(select(PaymentAttempt).where(PaymentAttempt.order_id == row.id))).scalar_one()
    assert (attempt.channel, attempt.installments, attempt.transaction_id) == ("alipay", 3, row.payment_ref)


async def test_top_up_then_pay_by_balance(app, client, session, db):
    shop = await shop_of(app, client, session, db)
    buyer = await make_buyer(session)
    headers = buyer[1]

    topup = await shop.post("/api/v1/wallet/topups", headers, {"amount": 20000}, expect=201)
    shop.wechatpay.pay(f"{topup['topup_no']}W1")
    await shop.deliver_wechat(shop.wechatpay.build_notification(f"{topup['topup_no']}W1"))
    order, _ = await shop.order(price=12800, buyer=buyer)
    paid = await shop.post(f"/api/v1/orders/{order['order_no']}/pay/balance", headers)

    assert paid["order"]["status"] == "paid"
    assert await shop.balance(headers) == 20000 - 12800
    entries = (await client.get("/api/v1/wallet/entries", headers=headers)).json()["items"]
    assert [(e["reason"], e["amount"]) for e in entries] == [("order_payment", -12800), ("topup", 20000)]
    assert await shop.ledger_problems() == []


async def test_a_friend_pays(app, client, session, db):
    shop = await shop_of(app, client, session, db)
    order, headers = await shop.order(price=8800)
    friend, friend_headers, _ = await make_buyer(session)

    link = await shop.post(f"/api/v1/orders/{order['order_no']}/friend-pay", headers, {"message": "生日快乐"},
                           expect=201)
    summary = (await client.get(f"/api/v1/friend-pay/{link['token']}", headers=friend_headers)).json()
    await shop.pay_wechat(order["order_no"], friend_headers, path=f"/api/v1/friend-pay/{link['token']}/pay/wechat")

    assert (summary["status"], summary["payable_amount"], summary["message"]) == ("pending", 8800, "生日快乐")
    assert "address" not in summary
    row = await shop.order_row(order["order_no"])
    assert (row.status, row.paid_amount) == ("paid", 8800)
    async with db.sessionmaker() as s:
        payer = await s.scalar(select(PaymentAttempt.payer_shopper_id).where(PaymentAttempt.order_id == row.id))
    assert payer == friend.id


async def test_refund_only_before_shipping_goes_back_through_wechat_pay(app, client, session, db):
    shop = await shop_of(app, client, session, db)
    order, headers = await shop.order(price=4500, quantity=2)
    out_trade_no = await shop.pay_wechat(order["order_no"], headers)
    lines = [(line["id"], line["quantity"]) for line in order["lines"]]
    staff = await shop.staff()

    after_sale = await shop.post(f"/api/v1/orders/{order['order_no']}/after-sales", headers,
                                 shop.after_sale("refund_only", lines), expect=201)
    await shop.post(f"/api/admin/v1/after-sales/{after_sale['after_sale_no']}/approve", staff, {})
    [refund] = await shop.refunds()
    assert (refund.amount, refund.channel, refund.out_refund_no) == (9000, "wechat", f"{out_trade_no}R1")
    shop.wechatpay.complete_refund(refund.out_refund_no)
    await shop.deliver_wechat(shop.wechatpay.build_notification(out_refund_no=refund.out_refund_no),
                              "/api/v1/payments/wechat/refund-notify")

    done = (await client.get(f"/api/v1/after-sales/{after_sale['after_sale_no']}", headers=headers)).json()
    assert (done["status"], done["refund_amount"]) == ("refunded", 9000)
    assert (await shop.order_row(order["order_no"])).status == "refunded"
    assert shop.wechatpay.refunds[refund.out_refund_no].status == "SUCCESS"


async def test_return_and_refund_of_part_of_an_order_adds_up_to_the_fen(app, client, session, db):
    shop = await shop_of(app, client, session, db)
    order, headers = await shop.order(price=3333, quantity=3)
    trade = await shop.post(f"/api/v1/orders/{order['order_no']}/pay/alipay", headers,
                            {"buyer_open_id": ALIPAY_OPEN_ID})
    shop.alipay.pay(trade["out_trade_no"])
    reply = await client.post("/api/v1/payments/alipay/notify",
                              data=shop.alipay.build_notification(trade["out_trade_no"]))
    assert reply.text == "success"
    staff = await shop.staff()
    await shop.post(f"/api/admin/v1/orders/{order['order_no']}/ship", staff, SHIP)
    line_id = order["lines"][0]["id"]

    first = await shop.post(f"/api/v1/orders/{order['order_no']}/after-sales", headers,
                            shop.after_sale("return_refund", [(line_id, 1)]), expect=201)
    no = first["after_sale_no"]
    await shop.post(f"/api/admin/v1/after-sales/{no}/approve", staff, {})
    await shop.post(f"/api/v1/after-sales/{no}/return-shipping", headers,
                    {"carrier_code": "YTO", "carrier_name": "圆通速递", "tracking_no": "YT9876543210"})
    await shop.post(f"/api/admin/v1/after-sales/{no}/confirm-received", staff, {})

    done = (await client.get(f"/api/v1/after-sales/{no}", headers=headers)).json()
    assert (done["status"], done["refund_amount"]) == ("refunded", 3333)
    assert (await shop.order_row(order["order_no"])).status == "shipped"
    assert shop.alipay.trades[trade["out_trade_no"]].refunded_fen == 3333

    rest = await shop.post(f"/api/v1/orders/{order['order_no']}/after-sales", headers,
                           shop.after_sale("return_refund", [(line_id, 2)]), expect=201)
    await shop.post(f"/api/admin/v1/after-sales/{rest['after_sale_no']}/approve", staff, {})
    await shop.post(f"/api/v1/after-sales/{rest['after_sale_no']}/return-shipping", headers,
                    {"carrier_code": "YTO", "carrier_name": "圆通速递", "tracking_no": "YT9876543211"})
    await shop.post(f"/api/admin/v1/after-sales/{rest['after_sale_no']}/confirm-received", staff, {})

    assert sum(r.amount for r in await shop.refunds()) == 9999
    assert (await shop.order_row(order["order_no"])).status == "refunded"


async def test_a_payment_that_lands_after_cancellation_is_refunded_automatically(app, client, session, db):
    shop = await shop_of(app, client, session, db)
    order, headers = await shop.order(price=2990)
    params = await shop.post(f"/api/v1/orders/{order['order_no']}/pay/wechat", headers)
    assert params["paySign"]
    await shop.post(f"/api/v1/orders/{order['order_no']}/cancel", headers, {"reason": "不想要了"})

    out_trade_no = f"{order['order_no']}W1"
    shop.wechatpay.pay(out_trade_no)  # the shopper had already confirmed in WeChat
    await shop.deliver_wechat(shop.wechatpay.build_notification(out_trade_no))

    assert (await shop.order_row(order["order_no"])).status == "cancelled"
    [refund] = await shop.refunds()
    assert (refund.amount, refund.status) == (2990, "processing")
    assert shop.wechatpay.refunds[refund.out_refund_no].refund == 2990


async def test_alipay_payer_named_by_a_mini_program_auth_code(app, client, session, db):
    shop = await shop_of(app, client, session, db)
    order, headers = await shop.order(price=1990)
    url = f"/api/v1/orders/{order['order_no']}/pay/alipay"
    codes = [f"demo-xiaoming-{next(_keys):06d}" for _ in range(3)]  # the app's fake is shared: codes are single-use

    trade = await shop.post(url, headers, {"auth_code": codes[0]})
    reused = await client.post(url, headers=headers, json={"auth_code": codes[0]})
    neither = await client.post(url, headers=headers, json={"installments": 3})
    both = await client.post(url, headers=headers, json={"auth_code": codes[1],
                                                          "buyer_open_id": ALIPAY_OPEN_ID})

    at_fake = shop.alipay.trades[trade["out_trade_no"]]
    assert at_fake.buyer_open_id.startswith("074a") and len(at_fake.buyer_open_id) == 46
    assert (reused.status_code, reused.json()["code"]) == (422, "invalid_auth_code")  # a code is good once
    assert (neither.status_code, both.status_code) == (422, 422)
    again = await shop.post(url, headers, {"auth_code": codes[2]})
    assert again["out_trade_no"] == trade["out_trade_no"]  # same payer (same open id), same open trade
