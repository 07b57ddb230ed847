"""Shop settings (店铺设置): defaults, validation, owner only, audit, and that each setting takes effect."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from qingmall.core import clock
from qingmall.orders.models import Order
from qingmall.shop.models import ShopSettings
from qingmall.staff.models import AuditLog
from tests.aftersales.aftersales_testkit import complete, file, fund, paid_order, ship
from tests.factories import make_staff, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku
from tests.payments.paykit import pending_order, prepay

ADMIN = "/api/admin/v1/shop/settings"
PUBLIC = "/api/v1/shop"


def logo(n: int = 1) -> str:
    digest = hashlib.sha256(f"logo-{n}".encode()).hexdigest()
    return f"/media/images/{digest[:2]}/{digest}.png"


@pytest.fixture
async def owner(session):
    return staff_headers(await make_staff(session))


async def save(client, owner, **body) -> dict:
    response = await client.patch(ADMIN, headers=owner, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def stored_row(db) -> ShopSettings | None:
    async with db.sessionmaker() as s:
        return await s.get(ShopSettings, 1)


async def test_defaults_come_from_the_environment_until_the_first_save(client, owner, db, settings):
    # given a shop whose settings were never saved
    response = await client.get(ADMIN, headers=owner)
    # then the console sees the environment's values, every channel on, nothing stored
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "name": "轻商城",
        "logo_url": "",
        "logo_thumbnail_url": "",
        "service_phone": "",
        "order_unpaid_timeout_minutes": settings.order_unpaid_timeout_minutes,
        "order_auto_complete_days": settings.order_auto_complete_days,
        "after_sale_days": settings.after_sale_days,
        "payment_channels": ["wechat", "alipay", "balance"],
        "available_payment_channels": ["wechat", "alipay", "balance"],
        "is_saved": False,
        "updated_at": None,
    }
    assert await stored_row(db) is None
    # and the storefront sees the same name and channels without logging in
    public = await client.get(PUBLIC)
    assert public.json() == {
        "name": "轻商城",
        "logo_url": "",
        "logo_thumbnail_url": "",
        "service_phone": "",
        "payment_channels": ["wechat", "alipay", "balance"],
    }


async def test_saving_merges_the_fields_sent_and_the_storefront_reflects_it(client, owner, db, settings):
    # when the owner saves a name, a logo, a phone and a timeout
    first = await save(
        client,
        owner,
        name=" 青禾小铺 ",
        logo_url=logo(),
        service_phone="400-820-8820",
        order_unpaid_timeout_minutes=15,
    )
    # then they are stored (trimmed) and the untouched fields keep the environment's values
    assert first["name"] == "青禾小铺"
    assert (first["logo_url"], first["logo_thumbnail_url"]) == (logo(), logo().removesuffix(".png") + ".thumb.webp")
    assert (first["service_phone"], first["order_unpaid_timeout_minutes"]) == ("400-820-8820", 15)
    assert (first["order_auto_complete_days"], first["after_sale_days"]) == (
        settings.order_auto_complete_days,
        settings.after_sale_days,
    )
    assert (first["is_saved"], first["updated_at"].endswith("Z")) == (True, True)
    # when a later save changes only the channels and clears the phone, the rest stays
    second = await save(client, owner, payment_channels=["balance", "wechat"], service_phone="")
    assert (second["name"], second["order_unpaid_timeout_minutes"], second["service_phone"]) == ("青禾小铺", 15, "")
    assert second["payment_channels"] == ["wechat", "balance"]
    # null means "leave as is"
    third = await save(client, owner, name=None, after_sale_days=15)
    assert (third["name"], third["after_sale_days"]) == ("青禾小铺", 15)
    row = await stored_row(db)
    assert (row.name, row.wechat_pay_enabled, row.alipay_enabled, row.balance_pay_enabled) == (
        "青禾小铺",
        True,
        False,
        True,
    )
    # and the storefront shows the new name and only the enabled channels
    public = (await client.get(PUBLIC)).json()
    assert (public["name"], public["logo_url"]) == ("青禾小铺", logo())
    assert public["payment_channels"] == ["wechat", "balance"]


async def test_the_storefront_is_offered_only_configured_channels(client, owner, app):
    # given a deployment without Alipay configured
    app.state.payment_gateways.alipay = None
    settings = (await client.get(ADMIN, headers=owner)).json()
    # then the console still shows Alipay enabled but not available, and shoppers are not offered it
    assert (settings["payment_channels"], settings["available_payment_channels"]) == (
        ["wechat", "alipay", "balance"],
        ["wechat", "balance"],
    )
    assert (await client.get(PUBLIC)).json()["payment_channels"] == ["wechat", "balance"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"order_unpaid_timeout_minutes": 4}, "order_unpaid_timeout_minutes", "不能小于 5"),
        ({"order_unpaid_timeout_minutes": 1441}, "order_unpaid_timeout_minutes", "不能大于 1440"),
        ({"order_unpaid_timeout_minutes": "soon"}, "order_unpaid_timeout_minutes", "必须是整数"),
        ({"order_auto_complete_days": 0}, "order_auto_complete_days", "不能小于 1"),
        ({"order_auto_complete_days": 31}, "order_auto_complete_days", "不能大于 30"),
        ({"after_sale_days": 6}, "after_sale_days", "不能小于 7"),
        ({"after_sale_days": 91}, "after_sale_days", "不能大于 90"),
        ({"payment_channels": []}, "payment_channels", "至少需要 1 项"),
        ({"payment_channels": ["cash"]}, "payment_channels.0", "取值必须是 'wechat'、'alipay'、'balance' 之一"),
        ({"payment_channels": ["wechat", "wechat"]}, "payment_channels", "支付方式重复"),
        ({"name": "  "}, "name", "长度不能少于 1 个字符"),
        ({"name": "店" * 31}, "name", "长度不能超过 30 个字符"),
        ({"name": "青禾\n小铺"}, "name", "不能包含换行或控制字符"),
        ({"service_phone": "call us"}, "service_phone", "格式不正确"),
        ({"service_phone": "400-"}, "service_phone", "格式不正确"),
        ({"currency": "USD"}, "currency", "不支持的字段"),
    ],
)
async def test_bad_values_are_422_and_change_nothing(client, owner, db, body, field, message):
    response = await client.patch(ADMIN, headers=owner, json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert (error["code"], error["message"]) == ("invalid_input", f"参数不合法（{field}）：{message}")
    assert error["details"][0]["field"] == field
    assert await stored_row(db) is None


async def test_a_logo_must_be_an_upload_of_this_shop(client, owner, db):
    for url in ("https://evil.example/logo.png", "/media/images/../secret.png", logo().replace(".png", ".svg")):
        response = await client.patch(ADMIN, headers=owner, json={"name": "新店名", "logo_url": url})
        assert response.status_code == 422, response.text
        assert (response.json()["code"], response.json()["details"]["field"]) == ("invalid_image_url", "logo_url")
    assert await stored_row(db) is None
    # an empty URL removes the logo
    await save(client, owner, logo_url=logo())
    assert (await save(client, owner, logo_url=""))["logo_url"] == ""


@pytest.mark.parametrize("role", ["operator", "customer_service", "warehouse"])
async def test_only_the_owner_reads_or_changes_the_settings(client, session, db, role):
    staff = staff_headers(await make_staff(session, role=role))
    read = await client.get(ADMIN, headers=staff)
    write = await client.patch(ADMIN, headers=staff, json={"name": "不该改"})
    for response in (read, write):
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
        assert response.json()["message"] == "当前角色没有权限：店铺设置（名称、标志、订单时限、支付方式）"
    anonymous = await client.patch(ADMIN, json={"name": "不该改"})
    assert anonymous.status_code == 401
    assert await stored_row(db) is None


async def test_every_save_and_refusal_is_in_the_audit_log(client, session, owner, db):
    # given an operator who tries and the owner who saves
    operator = staff_headers(await make_staff(session, role="operator"))
    await client.patch(ADMIN, headers=operator, json={"name": "运营改名"})
    await save(client, owner, name="青禾小铺", order_unpaid_timeout_minutes=20)
    await client.patch(ADMIN, headers=owner, json={"order_unpaid_timeout_minutes": 2})
    # then three entries, with who, what and the outcome
    async with db.sessionmaker() as s:
        entries = (await s.scalars(select(AuditLog).order_by(AuditLog.id))).all()
    assert [(e.action, e.role, e.status_code, e.body_summary) for e in entries] == [
        ("PATCH /api/admin/v1/shop/settings", "operator", 403, {"name": "运营改名"}),
        ("PATCH /api/admin/v1/shop/settings", "owner", 200, {"name": "青禾小铺", "order_unpaid_timeout_minutes": 20}),
        ("PATCH /api/admin/v1/shop/settings", "owner", 422, {"order_unpaid_timeout_minutes": 2}),
    ]


# ---- the settings take effect ---------------------------------------------------------------------------


async def _deadline_minutes(db, order_no: str) -> float:
    async with db.sessionmaker() as s:
        order = (await s.execute(select(Order).where(Order.order_no == order_no))).scalar_one()
    return (order.pay_deadline - order.created_at) / timedelta(minutes=1)


async def test_new_orders_use_the_stored_unpaid_timeout(client, session, owner, db, settings):
    sku_id = await make_sku(session, stock=10)
    _shopper, headers, address_id = await make_buyer(session)
    # given an order placed under the environment's default
    before = await create_order(client, headers, address_id, [(sku_id, 1)])
    assert await _deadline_minutes(db, before["order_no"]) == settings.order_unpaid_timeout_minutes
    # when the owner sets 15 minutes
    await save(client, owner, order_unpaid_timeout_minutes=15)
    after = await create_order(client, headers, address_id, [(sku_id, 1)])
    # then a new order must be paid within 15 minutes and the older one keeps its deadline
    assert await _deadline_minutes(db, after["order_no"]) == 15
    assert await _deadline_minutes(db, before["order_no"]) == settings.order_unpaid_timeout_minutes
    assert 15 * 60 - 5 <= after["pay_countdown_seconds"] <= 15 * 60


async def test_shipping_uses_the_stored_auto_complete_days(client, session, owner, db):
    await save(client, owner, order_auto_complete_days=3)
    order = await paid_order(client, session, db, [(1000, 1)])
    await ship(client, owner, order.order_no)
    async with db.sessionmaker() as s:
        row = await s.get(Order, order.order_id)
    assert row.auto_complete_at - row.shipped_at == timedelta(days=3)


async def test_after_sales_close_after_the_stored_window(client, session, owner, db):
    # given a 10-day window and an order completed now
    await save(client, owner, after_sale_days=10)
    order = await paid_order(client, session, db, [(1000, 1)])
    await ship(client, owner, order.order_no)
    await complete(client, order)
    # when the shopper files on day 11
    clock.advance(timedelta(days=10, minutes=1))
    order.refresh_token()
    late = await file(client, order, "refund_only", [(order.line_id(), 1)], expect=409)
    # then it is refused, naming the stored window
    assert (late["code"], late["message"]) == ("after_sale_expired", "订单确认收货已超过 10 天，不能再申请售后")


async def test_a_disabled_balance_channel_is_refused_and_charges_nothing(client, session, owner, db):
    # given a funded buyer and a shop that stopped taking balance payments
    buyer = await make_buyer(session)
    buyer_id = buyer[0].id
    order, headers = await pending_order(session, client, price=2990, buyer=buyer)
    await fund(db, buyer_id, 5000)
    await save(client, owner, payment_channels=["wechat", "alipay"])
    # when the buyer pays by balance
    refused = await client.post(f"/api/v1/orders/{order['order_no']}/pay/balance", headers=headers)
    # then it is 409 with a sentence the storefront can show, and the order is still unpaid
    assert refused.status_code == 409, refused.text
    assert refused.json() == {
        "code": "payment_channel_disabled",
        "message": "本店已停用余额支付，请选择其他支付方式",
        "details": {"channel": "balance"},
    }
    assert (await client.get("/api/v1/wallet", headers=headers)).json()["balance"] == 5000
    # a friend paying by balance is refused too
    link = await client.post(f"/api/v1/orders/{order['order_no']}/friend-pay", headers=headers, json={})
    friend = await make_buyer(session)
    friend_id = friend[0].id
    await session.rollback()
    await fund(db, friend_id, 5000)
    by_friend = await client.post(f"/api/v1/friend-pay/{link.json()['token']}/pay/balance", headers=friend[1])
    assert (by_friend.status_code, by_friend.json()["code"]) == (409, "payment_channel_disabled")
    # when it is enabled again, the same payment goes through
    await save(client, owner, payment_channels=["balance"])
    paid = await client.post(f"/api/v1/orders/{order['order_no']}/pay/balance", headers=headers)
    assert (paid.status_code, paid.json()["order"]["status"]) == (200, "paid")


async def test_disabled_gateway_channels_are_refused_before_the_gateway_is_asked(client, session, owner, sandbox):
    order, headers = await pending_order(session, client)
    await save(client, owner, payment_channels=["balance"])
    pay = f"/api/v1/orders/{order['order_no']}/pay"
    answers = [
        await client.post(f"{pay}/wechat", headers=headers),
        await client.post(f"{pay}/wechat-h5", headers=headers, json={}),
        await client.post(f"{pay}/alipay", headers=headers, json={"buyer_open_id": "074a1CcTG1LelxKe4xQC0zgNdId0nxi"}),
        await client.post("/api/v1/wallet/topups", headers=headers, json={"amount": 1000}),
    ]
    assert [(a.status_code, a.json()["code"], a.json()["details"]["channel"]) for a in answers] == [
        (409, "payment_channel_disabled", "wechat"),
        (409, "payment_channel_disabled", "wechat"),
        (409, "payment_channel_disabled", "alipay"),
        (409, "payment_channel_disabled", "wechat"),
    ]
    assert answers[0].json()["message"] == "本店已停用微信支付，请选择其他支付方式"
    assert answers[2].json()["message"] == "本店已停用支付宝，请选择其他支付方式"
    assert sandbox.orders == {}  # nothing reached WeChat Pay
    # when WeChat Pay is enabled again, the same order gets its payment parameters
    await save(client, owner, payment_channels=["wechat", "balance"])
    assert (await prepay(client, order, headers))["package"].startswith("prepay_id=")
