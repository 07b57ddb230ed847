"""The shopper's cart through the HTTP API: lines, statuses, price-change notes, limits and ownership."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, update

from qingmall.cart.models import CartItem
from qingmall.catalog.models import Sku, Spu
from tests.factories import make_product, make_shopper, shopper_headers
from tests.orders.orders_testkit import make_sku

CART = "/api/v1/cart"


async def add(client, headers, sku_id, quantity=1):
    return await client.post(f"{CART}/items", headers=headers, json={"sku_id": sku_id, "quantity": quantity})


def lines(cart, group="available"):
    return next(g for g in cart["groups"] if g["key"] == group)["lines"]


async def set_sku(session, sku_id, **values):
    await session.execute(update(Sku).where(Sku.id == sku_id).values(**values))
    await session.commit()


async def test_added_line_shows_product_spec_price_and_totals(client, session):
    # given a product with two spec dimensions
    spu = await make_product(
        session, title="纯棉T恤",
        spec_dimensions=[{"name": "颜色", "values": ["黑"]}, {"name": "尺码", "values": ["M"]}],
        skus=[{"price": 5900, "stock": 8, "spec_values": ["黑", "M"], "image_url": "/media/black.png"}],
    )
    sku_id = (await session.scalars(select(Sku.id).where(Sku.spu_id == spu.id))).one()
    await session.rollback()
    shopper = await make_shopper(session)
    headers = shopper_headers(shopper)
    # when 2 are added, then 1 more
    assert (await add(client, headers, sku_id, 2)).status_code == 200
    response = await add(client, headers, sku_id, 1)
    # then there is one line of 3, with everything the page shows
    assert response.status_code == 200, response.text
    cart = response.json()
    [line] = lines(cart)
    assert {k: line[k] for k in ("sku_id", "title", "spec_text", "image_url", "price", "quantity", "selected",
                                  "stock", "status", "price_changed")} == {
        "sku_id": sku_id, "title": "纯棉T恤", "spec_text": "颜色:黑 尺码:M", "image_url": "/media/black.png",
        "price": 5900, "quantity": 3, "selected": True, "stock": 8, "status": "ok", "price_changed": None,
    }
    assert (cart["line_count"], cart["total_quantity"], cart["selected_quantity"], cart["selected_amount"]) == (
        1, 3, 3, 17700,
    )
    assert cart["all_selected"] is True
    assert (await client.get(CART, headers=headers)).json() == cart


async def test_price_change_note(client, session):
    sku_id = await make_sku(session, price=1999)
    headers = shopper_headers(await make_shopper(session))
    await add(client, headers, sku_id)
    await set_sku(session, sku_id, price=1799)
    [line] = lines((await client.get(CART, headers=headers)).json())
    assert (line["price"], line["price_when_added"], line["price_change"], line["price_changed"]) == (
        1799, 1999, -200, "比加入时降价 ¥2.00",
    )
    await set_sku(session, sku_id, price=2149)
    [line] = lines((await client.get(CART, headers=headers)).json())
    assert line["price_changed"] == "比加入时涨价 ¥1.50"


async def test_statuses_group_lines_and_only_ok_selected_lines_count(client, session):
    # given five lines
    ids = [await make_sku(session, price=1000, stock=10) for _ in range(5)]
    headers = shopper_headers(await make_shopper(session))
    for sku_id in ids:
        assert (await add(client, headers, sku_id, 3)).status_code == 200
    # when one goes off the shelf, one is disabled, one sells out, one has 2 left
    off_spu = await session.scalar(select(Sku.spu_id).where(Sku.id == ids[1]))
    await session.execute(update(Spu).where(Spu.id == off_spu).values(is_on_shelf=False))
    await set_sku(session, ids[2], is_enabled=False)
    await set_sku(session, ids[3], stock=0)
    await set_sku(session, ids[4], stock=2)
    cart = (await client.get(CART, headers=headers)).json()
    # then each line says why, short-stock lines stay available, and only the ok line is in the totals
    statuses = {line["sku_id"]: (line["status"], line["status_text"]) for g in cart["groups"] for line in g["lines"]}
    assert statuses == {
        ids[0]: ("ok", ""),
        ids[1]: ("off_shelf", "商品已下架"),
        ids[2]: ("sku_disabled", "该规格已停售"),
        ids[3]: ("sold_out", "已售罄"),
        ids[4]: ("insufficient_stock", "库存不足，仅剩 2 件"),
    }
    assert [line["sku_id"] for line in lines(cart)] == [ids[4], ids[0]]
    assert [line["sku_id"] for line in lines(cart, "unavailable")] == [ids[3], ids[2], ids[1]]
    assert (cart["selected_quantity"], cart["selected_amount"], cart["total_quantity"]) == (3, 3000, 15)


async def test_add_refusals(client, session):
    headers = shopper_headers(await make_shopper(session))
    limited = await make_sku(session, stock=50, max_per_order=3)
    scarce = await make_sku(session, stock=2)
    hidden = await make_sku(session, spu_fields={"on_shelf": False})
    cases = [
        ({"sku_id": 999_999, "quantity": 1}, 404, "sku_not_found"),
        ({"sku_id": limited, "quantity": 4}, 422, "exceeds_max_per_order"),
        ({"sku_id": scarce, "quantity": 3}, 409, "insufficient_stock"),
        ({"sku_id": hidden, "quantity": 1}, 409, "off_shelf"),
        ({"sku_id": limited, "quantity": 0}, 422, "invalid_input"),
        ({"sku_id": limited, "quantity": 1000}, 422, "invalid_input"),
        ({"sku_id": limited, "quantity": 10**9}, 422, "invalid_input"),
        ({"sku_id": "abc", "quantity": 1}, 422, "invalid_input"),
        ({"sku_id": limited, "quantity": 1, "price": 1}, 422, "invalid_input"),
    ]
    for payload, status, code in cases:
        response = await client.post(f"{CART}/items", headers=headers, json=payload)
        assert (response.status_code, response.json()["code"]) == (status, code), payload
        assert response.json()["message"]
    # adding up past the limit is refused too, and the line keeps its quantity
    assert (await add(client, headers, limited, 3)).status_code == 200
    assert (await add(client, headers, limited, 1)).json()["code"] == "exceeds_max_per_order"
    assert (await add(client, headers, scarce, 2)).status_code == 200
    refused = await add(client, headers, scarce, 1)
    assert (refused.status_code, refused.json()["details"]["available"]) == (409, 2)
    cart = (await client.get(CART, headers=headers)).json()
    assert sorted((line["sku_id"], line["quantity"]) for line in lines(cart)) == [(limited, 3), (scarce, 2)]


async def test_update_select_and_delete(client, session):
    a, b, c = [await make_sku(session, price=100, stock=20) for _ in range(3)]
    headers = shopper_headers(await make_shopper(session))
    for sku_id in (a, b, c):
        await add(client, headers, sku_id)
    cart = (await client.get(CART, headers=headers)).json()
    item = {line["sku_id"]: line["id"] for line in lines(cart)}
    # quantity and tick
    patched = await client.patch(f"{CART}/items/{item[a]}", headers=headers, json={"quantity": 5, "selected": False})
    assert patched.status_code == 200
    assert {(line["sku_id"], line["quantity"], line["selected"]) for line in lines(patched.json())} == {
        (a, 5, False), (b, 1, True), (c, 1, True),
    }
    assert (await client.patch(f"{CART}/items/{item[a]}", headers=headers, json={"quantity": 21})).status_code == 409
    assert (await client.patch(f"{CART}/items/{item[a]}", headers=headers, json={})).status_code == 422
    # untick all, then tick one
    cart = (await client.post(f"{CART}/select", headers=headers, json={"selected": False, "all": True})).json()
    assert cart["selected_quantity"] == 0 and cart["all_selected"] is False
    cart = (await client.post(f"{CART}/select", headers=headers, json={"selected": True, "item_ids": [item[b]]})).json()
    assert cart["selected_quantity"] == 1
    bad = await client.post(f"{CART}/select", headers=headers, json={"selected": True, "item_ids": [1], "all": True})
    assert bad.status_code == 422
    # delete one, then the rest in bulk
    cart = (await client.delete(f"{CART}/items/{item[c]}", headers=headers)).json()
    assert {line["sku_id"] for line in lines(cart)} == {a, b}
    cart = (await client.delete(f"{CART}/items?ids={item[a]},{item[b]}", headers=headers)).json()
    assert cart["line_count"] == 0
    assert (await client.delete(f"{CART}/items?ids=x", headers=headers)).status_code == 422


async def test_another_shoppers_line_is_404_and_untouched(client, session):
    sku_id = await make_sku(session)
    owner = shopper_headers(await make_shopper(session))
    other = shopper_headers(await make_shopper(session))
    await add(client, owner, sku_id, 2)
    item_id = lines((await client.get(CART, headers=owner)).json())[0]["id"]
    attempts = [
        client.patch(f"{CART}/items/{item_id}", headers=other, json={"quantity": 9}),
        client.delete(f"{CART}/items/{item_id}", headers=other),
        client.delete(f"{CART}/items?ids={item_id}", headers=other),
        client.post(f"{CART}/select", headers=other, json={"selected": False, "item_ids": [item_id]}),
    ]
    for attempt in attempts:
        response = await attempt
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    [line] = lines((await client.get(CART, headers=owner)).json())
    assert (line["quantity"], line["selected"]) == (2, True)
    assert (await client.get(CART)).status_code == 401


async def test_cart_holds_at_most_100_lines(client, session):
    shopper = await make_shopper(session)
    headers = shopper_headers(shopper)
    spu = await make_product(session, skus=[{"price": 100, "stock": 5} for _ in range(101)])
    sku_ids = list((await session.scalars(select(Sku.id).where(Sku.spu_id == spu.id).order_by(Sku.id))).all())
    session.add_all(
        [CartItem(shopper_id=shopper.id, sku_id=s, quantity=1, price_when_added=100) for s in sku_ids[:100]]
    )
    await session.commit()
    refused = await add(client, headers, sku_ids[100])
    assert (refused.status_code, refused.json()["code"]) == (409, "cart_full")
    # adding to an existing line still works
    assert (await add(client, headers, sku_ids[0])).status_code == 200


async def test_concurrent_adds_of_one_sku_end_in_one_line_with_the_sum(client, session, db):
    sku_id = await make_sku(session, stock=500)
    headers = shopper_headers(await make_shopper(session))
    responses = await asyncio.gather(*[add(client, headers, sku_id, 2) for _ in range(10)])
    assert [r.status_code for r in responses] == [200] * 10
    async with db.sessionmaker() as check:
        rows = (await check.execute(select(CartItem.quantity).where(CartItem.sku_id == sku_id))).all()
        assert [tuple(r) for r in rows] == [(20,)]
        assert await check.scalar(select(func.count()).select_from(CartItem)) == 1


async def test_concurrent_new_lines_never_push_the_cart_past_100(client, session, db):
    # given a cart with 99 lines and 8 more SKUs
    shopper = await make_shopper(session)
    headers = shopper_headers(shopper)
    spu = await make_product(session, skus=[{"price": 100, "stock": 5} for _ in range(107)])
    sku_ids = list((await session.scalars(select(Sku.id).where(Sku.spu_id == spu.id).order_by(Sku.id))).all())
    session.add_all([CartItem(shopper_id=shopper.id, sku_id=s, quantity=1, price_when_added=100) for s in sku_ids[:99]])
    await session.commit()
    # when the shopper adds the 8 new SKUs at the same moment (each request its own transaction)
    responses = await asyncio.gather(*[add(client, headers, sku_id) for sku_id in sku_ids[99:]])
    # then exactly one took the last place and the other seven were told the cart is full
    outcomes = sorted((r.status_code, r.json().get("code", "")) for r in responses)
    assert outcomes == [(200, "")] + [(409, "cart_full")] * 7
    async with db.sessionmaker() as check:
        assert await check.scalar(select(func.count()).where(CartItem.shopper_id == shopper.id)) == 100
