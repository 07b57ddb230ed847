"""Issue 2 acceptance: a shopper's whole journey through the HTTP API, as the storefront will make it.

login by WeChat code (through the WeChat sandbox) -> search -> product page -> cart -> address -> preview ->
order -> cancel -> stock restored; on SQLite and PostgreSQL (the ``client`` fixture runs both). The product is
created through the merchant API by a staff member who signed in with a password, so both sides are real.
"""

from __future__ import annotations

from sqlalchemy import select

from qingmall.catalog.models import Sku
from qingmall.staff import service as staff_service
from tests.shoppers.shoppers_testkit import bearer, wechat_login, wire_partners


async def _stock(db, sku_id: int) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(select(Sku.stock).where(Sku.id == sku_id))


async def test_login_search_detail_cart_preview_order_cancel_restores_stock(app, client, session, db):
    wire_partners(app)

    # the merchant signs in and lists a 2 x 3 product
    await staff_service.create_staff(session, username="shopowner", password="Owner-pass-2026", role="owner")
    login = await client.post("/api/admin/v1/auth/login", json={"username": "shopowner", "password": "Owner-pass-2026"})
    assert login.status_code == 200, login.text
    staff = {"Authorization": f"Bearer {login.json()['access_token']}"}
    category = await client.post("/api/admin/v1/categories", headers=staff, json={"name": "数码配件"})
    assert category.status_code == 201, category.text
    colours, sizes = ["黑色", "白色"], ["标准版", "降噪版", "旗舰版"]
    skus = [
        {"spec_values": [c, s], "price": 19900 + 10000 * j, "original_price": 49900, "stock": 5,
         "weight_grams": 180, "barcode": f"69012345{i}{j}000"[:13]}
        for i, c in enumerate(colours) for j, s in enumerate(sizes)
    ]
    created = await client.post("/api/admin/v1/products", headers=staff, json={
        "category_id": category.json()["id"], "title": "无线蓝牙耳机 主动降噪入耳式", "subtitle": "40 小时续航",
        "spec_dimensions": [{"name": "颜色", "values": colours}, {"name": "版本", "values": sizes}],
        "skus": skus, "tags": ["蓝牙耳机"], "is_on_shelf": True,
    })
    assert created.status_code == 201, created.text
    spu_id = created.json()["id"]

    # a shopper logs in with a mini-program code; the sandbox plays WeChat's code2Session
    shopper = bearer(await wechat_login(client, "xiaohong"))

    # search finds the product
    found = await client.get("/api/v1/products", params={"keyword": "蓝牙耳机"})
    assert found.status_code == 200
    assert [item["id"] for item in found.json()["items"]] == [spu_id]

    # the product page shows the 2 x 3 matrix; the shopper picks 白色 / 降噪版
    page = (await client.get(f"/api/v1/products/{spu_id}", headers=shopper)).json()
    assert len(page["skus"]) == 6
    sku = next(s for s in page["skus"] if s["spec_values"] == ["白色", "降噪版"])
    assert (sku["price"], sku["stock"]) == (29900, 5)

    # cart
    added = await client.post("/api/v1/cart/items", headers=shopper, json={"sku_id": sku["id"], "quantity": 2})
    assert added.status_code == 200, added.text

    # a new address (region names come from the codes)
    address = await client.post("/api/v1/addresses", headers=shopper, json={
        "recipient_name": "李小红", "phone": "13912345678", "province_code": "440000", "city_code": "440300",
        "district_code": "440305", "detail": "科技园南区 8 栋 101",
    })
    assert address.status_code == 201, address.text
    assert (address.json()["city"], address.json()["district"]) == ("深圳市", "南山区")
    address_id = address.json()["id"]

    # preview: the full breakdown in fen
    preview = await client.post(
        "/api/v1/checkout/preview", headers=shopper, json={"from_cart": True, "address_id": address_id}
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["goods_amount"], body["discount_amount"], body["can_submit"]) == (59800, 0, True)
    assert body["payable_amount"] == body["goods_amount"] + body["shipping_fee"]

    # order (the same key twice gives the same order)
    request = {"from_cart": True, "address_id": address_id, "idempotency_key": "acceptance-journey-1"}
    order = await client.post("/api/v1/orders", headers=shopper, json=request)
    assert order.status_code == 201, order.text
    order_no = order.json()["order_no"]
    assert order.json()["lines"][0]["spec_text"] == "颜色:白色 版本:降噪版"
    assert await _stock(db, sku["id"]) == 3
    again = await client.post("/api/v1/orders", headers=shopper, json=request)
    assert (again.status_code, again.json()["order_no"]) == (200, order_no)
    assert await _stock(db, sku["id"]) == 3

    # cancel: the stock comes back, and the timeline says what happened
    cancelled = await client.post(f"/api/v1/orders/{order_no}/cancel", headers=shopper, json={"reason": "不想要了"})
    assert cancelled.status_code == 200, cancelled.text
    assert await _stock(db, sku["id"]) == 5
    detail = (await client.get(f"/api/v1/orders/{order_no}", headers=shopper)).json()
    assert detail["status"] == "cancelled"
    assert [event["event"] for event in detail["timeline"]] == ["created", "cancelled"]

    # the merchant's audit log recorded the product creation
    audit = (await client.get("/api/admin/v1/audit-logs", headers=staff)).json()["items"]
    assert any(entry["path"] == "/api/admin/v1/products" and entry["status_code"] == 201 for entry in audit)
