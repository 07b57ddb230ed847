"""Checkout preview through the HTTP API: breakdown in fen, every problem named, discounts plugged in."""

from __future__ import annotations

from sqlalchemy import select, update

from qingmall.catalog.models import Sku, Spu
from qingmall.checkout import adjustments
from qingmall.checkout.pricing import Discount
from qingmall.shipping.models import ShippingTemplate
from tests.factories import make_product, make_shopper, shopper_headers
from tests.orders.orders_testkit import URUMQI, make_address, make_buyer, make_sku

PREVIEW = "/api/v1/checkout/preview"


async def make_template(session, **fields) -> int:
    values = {
        "name": "按重量",
        "charge_by": "weight",
        "default_rule": {"first_units": 1000, "first_fee": 1000, "additional_units": 500, "additional_fee": 300},
        "region_rules": [],
        "free_rules": [],
        "unshippable_regions": [],
        "is_default": False,
    }
    values.update(fields)
    template = ShippingTemplate(**values)
    session.add(template)
    await session.commit()
    return template.id


async def preview(client, headers, items=None, **body):
    if items is not None:
        body["items"] = [{"sku_id": sku_id, "quantity": qty} for sku_id, qty in items]
    return await client.post(PREVIEW, headers=headers, json=body)


async def test_buy_now_preview_gives_the_full_breakdown(client, session):
    # given a 1.2 kg product priced 59.00 with a weight template, and a Beijing shopper
    template_id = await make_template(session)
    spu = await make_product(
        session, title="有机大米", shipping_template_id=template_id,
        spec_dimensions=[{"name": "规格", "values": ["5kg"]}],
        skus=[{"price": 5900, "stock": 10, "weight_grams": 1200, "spec_values": ["5kg"]}],
    )
    spu_id = spu.id
    sku_id = await session.scalar(select(Sku.id).where(Sku.spu_id == spu_id))
    await session.rollback()
    _, headers, address_id = await make_buyer(session)
    # when 2 are previewed (2.4 kg: 10.00 for the first kg + 3 x 3.00)
    response = await preview(client, headers, [(sku_id, 2)], address_id=address_id, remark="  请放门口 ")
    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lines"] == [{
        "sku_id": sku_id, "spu_id": spu_id, "title": "有机大米", "spec_text": "规格:5kg",
        "image_url": "/media/test.png", "thumbnail_url": "/media/test.png",
        "unit_price": 5900, "quantity": 2, "goods_amount": 11800, "discount_amount": 0,
        "payable_amount": 11800, "weight_grams": 1200, "total_weight_grams": 2400, "status": "ok",
    }]
    assert {k: body[k] for k in ("goods_amount", "shipping_fee", "discounts", "discount_amount", "payable_amount",
                                 "item_count", "problems", "can_submit", "delivery_method", "remark")} == {
        "goods_amount": 11800, "shipping_fee": 1900, "discounts": [], "discount_amount": 0, "payable_amount": 13700,
        "item_count": 2, "problems": [], "can_submit": True, "delivery_method": "express", "remark": "请放门口",
    }
    assert body["address"]["phone_masked"] == "138****8000"
    assert body["address"]["full_address"] == "北京市北京市朝阳区建国路 88 号 1 号楼 101"
    assert "phone" not in body["address"] and "phone_cipher" not in body["address"]


async def test_default_address_is_used_and_default_template_prices_products_without_one(client, session):
    await make_template(session, name="默认", charge_by="piece", is_default=True,
                        default_rule={"first_units": 1, "first_fee": 600, "additional_units": 1, "additional_fee": 100})
    sku_id = await make_sku(session, price=1000)
    _, headers, _ = await make_buyer(session)
    body = (await preview(client, headers, [(sku_id, 3)])).json()
    assert (body["shipping_fee"], body["payable_amount"], body["can_submit"]) == (800, 3800, True)


async def test_every_problem_is_named(client, session):
    # given a template that does not ship to Xinjiang, and a shopper there
    template_id = await make_template(session, unshippable_regions=["650000"])
    ok = await make_sku(session, stock=10, spu_fields={"shipping_template_id": template_id})
    off = await make_sku(session, spu_fields={"on_shelf": False})
    disabled = await make_sku(session, is_enabled=False)
    sold_out = await make_sku(session, stock=0)
    scarce = await make_sku(session, stock=2)
    limited = await make_sku(session, stock=50, max_per_order=2)
    _, headers, address_id = await make_buyer(session, region=URUMQI)
    # when previewed
    items = [(ok, 1), (off, 1), (disabled, 1), (sold_out, 1), (scarce, 5), (limited, 3)]
    body = (await preview(client, headers, items, address_id=address_id)).json()
    # then
    assert body["problems"] == [
        {"sku_id": off, "code": "off_shelf", "message": "商品已下架", "available": None},
        {"sku_id": disabled, "code": "sku_disabled", "message": "该规格已停售", "available": None},
        {"sku_id": sold_out, "code": "sold_out", "message": "已售罄", "available": 0},
        {"sku_id": scarce, "code": "insufficient_stock", "message": "库存不足，仅剩 2 件", "available": 2},
        {"sku_id": limited, "code": "exceeds_max_per_order", "message": "每单限购 2 件", "available": 2},
        {"sku_id": ok, "code": "unshippable_region", "message": "该商品不支持配送到所选地区", "available": None},
    ]
    assert body["can_submit"] is False
    assert [line["status"] for line in body["lines"]] == [
        "ok", "off_shelf", "sku_disabled", "sold_out", "insufficient_stock", "ok",
    ]


async def test_missing_address_is_a_problem_not_an_error(client, session):
    sku_id = await make_sku(session)
    headers = shopper_headers(await make_shopper(session))
    body = (await preview(client, headers, [(sku_id, 1)])).json()
    assert body["problems"] == [
        {"sku_id": None, "code": "address_missing", "message": "请选择收货地址", "available": None}
    ]
    assert (body["address"], body["can_submit"]) == (None, False)


async def test_another_shoppers_address_or_unknown_sku_is_404(client, session):
    sku_id = await make_sku(session)
    _, headers, _ = await make_buyer(session)
    stranger = await make_shopper(session)
    stranger_address = await make_address(session, stranger.id)
    response = await preview(client, headers, [(sku_id, 1)], address_id=stranger_address.id)
    assert (response.status_code, response.json()["code"]) == (404, "address_not_found")
    response = await preview(client, headers, [(424242, 1)])
    assert (response.status_code, response.json()["code"]) == (404, "sku_not_found")


async def test_from_cart_uses_ticked_lines_only(client, session):
    a = await make_sku(session, price=100)
    b = await make_sku(session, price=1000)
    _, headers, address_id = await make_buyer(session)
    for sku_id, qty in ((a, 2), (b, 1)):
        await client.post("/api/v1/cart/items", headers=headers, json={"sku_id": sku_id, "quantity": qty})
    cart = (await client.get("/api/v1/cart", headers=headers)).json()
    b_item = next(line["id"] for line in cart["groups"][0]["lines"] if line["sku_id"] == b)
    await client.patch(f"/api/v1/cart/items/{b_item}", headers=headers, json={"selected": False})
    body = (await preview(client, headers, from_cart=True, address_id=address_id)).json()
    assert [(line["sku_id"], line["quantity"]) for line in body["lines"]] == [(a, 2)]
    await client.post("/api/v1/cart/select", headers=headers, json={"selected": False, "all": True})
    response = await preview(client, headers, from_cart=True)
    assert (response.status_code, response.json()["code"]) == (422, "nothing_selected")
    both = await preview(client, headers, [(a, 1)], from_cart=True)
    assert both.status_code == 422


async def test_a_plugged_in_adjuster_discounts_and_allocates(client, session, monkeypatch):
    class TenOff:
        type = "promotion"

        async def propose(self, session, context):
            return [Discount("promotion", "满减：满20减10", 1000)] if context.breakdown.goods_amount >= 2000 else []

        async def redeem(self, session, *, shopper_id, order_id, discount):
            return None

    monkeypatch.setattr(adjustments, "_ADJUSTERS", [TenOff()])
    a = await make_sku(session, price=1000)
    b = await make_sku(session, price=2000)
    _, headers, address_id = await make_buyer(session)
    body = (await preview(client, headers, [(a, 1), (b, 1)], address_id=address_id)).json()
    assert body["discounts"] == [{"type": "promotion", "title": "满减：满20减10", "amount": 1000}]
    assert [(line["discount_amount"], line["payable_amount"]) for line in body["lines"]] == [(333, 667), (667, 1333)]
    assert (body["goods_amount"], body["discount_amount"], body["payable_amount"]) == (3000, 1000, 2000)


async def test_prices_come_from_the_server(client, session):
    sku_id = await make_sku(session, price=1999)
    _, headers, address_id = await make_buyer(session)
    cheat = await client.post(
        PREVIEW, headers=headers,
        json={"items": [{"sku_id": sku_id, "quantity": 1, "unit_price": 1}], "address_id": address_id},
    )
    assert cheat.status_code == 422
    await session.execute(update(Sku).where(Sku.id == sku_id).values(price=2599))
    await session.execute(update(Spu).values(price_min=2599))
    await session.commit()
    body = (await preview(client, headers, [(sku_id, 1)], address_id=address_id)).json()
    assert body["payable_amount"] == 2599
