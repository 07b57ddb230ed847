"""Bounds of one order: a SKU once per request, at most 999 units of it, at most 9999 units in all; a remark
without control characters; and a price that changed between the checkout page and the submit."""

from __future__ import annotations

import hashlib

import orjson
import pytest
from sqlalchemy import select, update

from qingmall.cart.models import CartItem
from qingmall.catalog.models import Sku
from qingmall.checkout import service
from qingmall.checkout.schemas import CheckoutItem, CheckoutRequest, OrderCreate
from qingmall.core.errors import InvalidInput
from qingmall.orders.models import Order
from tests.factories import make_product
from tests.orders.orders_testkit import make_buyer, make_sku, new_key, order_count, stock_of

ORDERS = "/api/v1/orders"
PREVIEW = "/api/v1/checkout/preview"


def _items(lines: list[tuple[int, int]]) -> list[dict[str, int]]:
    return [{"sku_id": sku_id, "quantity": quantity} for sku_id, quantity in lines]


async def _skus(session, count: int, *, stock: int, price: int = 1) -> list[int]:
    spu = await make_product(session, skus=[{"price": price, "stock": stock} for _ in range(count)])
    spu_id = spu.id
    ids = list((await session.scalars(select(Sku.id).where(Sku.spu_id == spu_id).order_by(Sku.id))).all())
    await session.rollback()
    return ids


async def test_a_repeated_sku_is_refused_instead_of_summed_past_999(client, session, db):
    # given a SKU with plenty of stock
    sku_id = await make_sku(session, stock=5000)
    _, headers, address_id = await make_buyer(session)
    items = _items([(sku_id, 999)] * 3)
    message = f"参数不合法（items）：同一商品规格只能出现一次，请合并数量后再提交（重复的 sku_id：{sku_id}）"
    # when "buy now" lists it three times at 999, for the preview and for the order
    previewed = await client.post(PREVIEW, headers=headers, json={"items": items, "address_id": address_id})
    placed = await client.post(
        ORDERS, headers=headers, json={"items": items, "address_id": address_id, "idempotency_key": new_key()}
    )
    # then both are 422 with a message that says what to do, and nothing was ordered or reserved
    for response in (previewed, placed):
        assert (response.status_code, response.json()["code"], response.json()["message"]) == (
            422, "invalid_input", message,
        )
    assert (await order_count(db), await stock_of(db, sku_id)) == (0, 5000)


async def test_the_service_checks_merged_quantities_against_999_and_the_sku_limit(session):
    # given a service caller that skips the schema and splits one SKU over several lines
    free = await make_sku(session, stock=5000)
    limited = await make_sku(session, stock=50, max_per_order=3)
    shopper, _, address_id = await make_buyer(session)

    def request(lines: list[tuple[int, int]]) -> CheckoutRequest:
        return CheckoutRequest.model_construct(
            items=[CheckoutItem(sku_id=s, quantity=q) for s, q in lines], from_cart=False,
            address_id=address_id, delivery_method="express", remark="",
        )

    # when three lines of 999 of one SKU are quoted, then the merged 2997 is refused
    with pytest.raises(InvalidInput) as caught:
        await service.build_quote(session, shopper.id, request([(free, 999)] * 3))
    assert (caught.value.status_code, caught.value.code, caught.value.message, caught.value.details) == (
        422, "quantity_too_large", "单个商品每单最多购买 999 件", {"sku_id": free, "quantity": 2997, "limit": 999},
    )
    await session.rollback()
    # and 2 + 2 of a SKU limited to 3 per order is one line of 4, over its limit
    quote = await service.build_quote(session, shopper.id, request([(limited, 2), (limited, 2)]))
    await session.rollback()
    assert [(view.sku_id, quantity) for view, quantity in quote.items] == [(limited, 4)]
    assert [(p.sku_id, p.code, p.message, p.available) for p in quote.problems] == [
        (limited, "exceeds_max_per_order", "每单限购 3 件", 3),
    ]


async def test_an_order_holds_at_most_9999_units_from_items_or_from_the_cart(client, session, db):
    # given 11 SKUs of 1 fen with 2000 units each
    sku_ids = await _skus(session, 11, stock=2000)
    shopper, headers, address_id = await make_buyer(session)
    full = [(s, 999) for s in sku_ids[:10]]
    # when "buy now" asks for exactly 9999 units, the order is placed
    placed = await client.post(
        ORDERS, headers=headers,
        json={"items": _items([*full, (sku_ids[10], 9)]), "address_id": address_id, "idempotency_key": new_key()},
    )
    assert placed.status_code == 201, placed.text
    assert (placed.json()["item_count"], placed.json()["payable_amount"]) == (9999, 9999)
    # when it asks for 10000, the preview and the order are refused with the limit
    over = _items([*full, (sku_ids[10], 10)])
    expected = (422, "order_too_large", "每单最多购买 9999 件商品（当前 10000 件），请减少数量或分开下单",
                {"units": 10000, "limit": 9999})
    for response in (
        await client.post(PREVIEW, headers=headers, json={"items": over, "address_id": address_id}),
        await client.post(ORDERS, headers=headers,
                          json={"items": over, "address_id": address_id, "idempotency_key": new_key()}),
    ):
        body = response.json()
        assert (response.status_code, body["code"], body["message"], body["details"]) == expected
    # and 11 ticked cart lines of 999 (10989 units) are refused the same way
    session.add_all(
        [CartItem(shopper_id=shopper.id, sku_id=s, quantity=999, price_when_added=1) for s in sku_ids]
    )
    await session.commit()
    from_cart = await client.post(
        ORDERS, headers=headers, json={"from_cart": True, "address_id": address_id, "idempotency_key": new_key()}
    )
    assert (from_cart.status_code, from_cart.json()["code"], from_cart.json()["details"]) == (
        422, "order_too_large", {"units": 10989, "limit": 9999},
    )
    assert await order_count(db) == 1
    assert [await stock_of(db, s) for s in sku_ids] == [1001] * 10 + [1991]


async def test_control_characters_in_the_remark_are_refused_but_newlines_are_kept(client, session, db):
    sku_id = await make_sku(session, stock=10)
    _, headers, address_id = await make_buyer(session)
    for remark in ("请\x00尽快发货", "bell\x07", "\x1b[31m红色"):
        for url, extra in ((PREVIEW, {}), (ORDERS, {"idempotency_key": new_key()})):
            response = await client.post(
                url, headers=headers,
                json={"items": _items([(sku_id, 1)]), "address_id": address_id, "remark": remark, **extra},
            )
            assert (response.status_code, response.json()["code"], response.json()["message"]) == (
                422, "invalid_input", "参数不合法（remark）：不能包含控制字符",
            ), (url, remark)
    assert (await order_count(db), await stock_of(db, sku_id)) == (0, 10)
    placed = await client.post(
        ORDERS, headers=headers,
        json={"items": _items([(sku_id, 1)]), "address_id": address_id, "remark": "  放门口\n\t谢谢  ",
              "idempotency_key": new_key()},
    )
    assert (placed.status_code, placed.json()["remark"]) == (201, "放门口\n\t谢谢")


async def test_a_changed_price_refuses_the_order_until_the_shopper_confirms_it(client, session, db):
    # given the checkout page showed 2 units at ¥10.00
    sku_id = await make_sku(session, price=1000, stock=10)
    _, headers, address_id = await make_buyer(session)
    items = _items([(sku_id, 2)])
    shown = await client.post(PREVIEW, headers=headers, json={"items": items, "address_id": address_id})
    assert shown.json()["payable_amount"] == 2000
    # when the merchant raises the price to ¥12.00 before the shopper submits what they saw
    await session.execute(update(Sku).where(Sku.id == sku_id).values(price=1200))
    await session.commit()
    key = new_key()
    body = {"items": items, "address_id": address_id, "idempotency_key": key, "expected_payable_amount": 2000}
    refused = await client.post(ORDERS, headers=headers, json=body)
    # then the order is refused, saying what changed, and nothing is reserved
    assert (refused.status_code, refused.json()) == (
        409,
        {"code": "price_changed", "message": "商品价格或运费有变动，应付金额由 ¥20.00 变为 ¥24.00，请确认后重新提交",
         "details": {"expected": 2000, "actual": 2400}},
    )
    assert (await order_count(db), await stock_of(db, sku_id)) == (0, 10)
    # when the shopper confirms the new amount (same key), the order is placed at it, and a retry replays it
    confirmed = await client.post(ORDERS, headers=headers, json={**body, "expected_payable_amount": 2400})
    assert (confirmed.status_code, confirmed.json()["payable_amount"]) == (201, 2400)
    replay = await client.post(ORDERS, headers=headers, json={**body, "expected_payable_amount": 2400})
    assert (replay.status_code, replay.json()["order_no"]) == (200, confirmed.json()["order_no"])
    # and without the field the server's amount is taken as is
    unchecked = await client.post(
        ORDERS, headers=headers, json={"items": items, "address_id": address_id, "idempotency_key": new_key()}
    )
    assert (unchecked.status_code, unchecked.json()["payable_amount"]) == (201, 2400)
    bad = await client.post(ORDERS, headers=headers, json={**body, "expected_payable_amount": -1})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")
    async with db.sessionmaker() as check:
        assert sorted((await check.scalars(select(Order.payable_amount))).all()) == [2400, 2400]


def test_fingerprint_without_an_expected_amount_is_unchanged():
    """Orders placed before ``expected_payable_amount`` existed must still replay with their stored hash."""
    request = OrderCreate(items=[CheckoutItem(sku_id=7, quantity=2)], address_id=3, idempotency_key="k" * 8)
    before = {"items": [{"sku_id": 7, "quantity": 2}], "from_cart": False, "address_id": 3,
              "delivery_method": "express", "remark": ""}
    assert service.request_fingerprint(request) == hashlib.sha256(
        orjson.dumps(before, option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    checked = request.model_copy(update={"expected_payable_amount": 3998})
    assert service.request_fingerprint(checked) != service.request_fingerprint(request)


def test_order_schema_documents_the_price_check():
    description = OrderCreate.model_json_schema()["properties"]["expected_payable_amount"]["description"]
    assert "price_changed" in description and "{expected, actual}" in description
