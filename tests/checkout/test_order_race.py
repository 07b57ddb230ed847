"""A real race: 200 shoppers submit at once for 10 units; exactly 10 orders, never oversold."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from qingmall.core.crypto import encrypt, mask_phone
from qingmall.inventory.models import StockMovement
from qingmall.orders.models import Order
from qingmall.shoppers.models import Address, Shopper
from tests.factories import shopper_headers
from tests.orders.orders_testkit import make_sku, stock_of

BUYERS = 200
STOCK = 10


async def _buyers(session, count: int) -> list[tuple[dict, int]]:
    shoppers = [Shopper(openid=f"race-{i}", nickname=f"抢购{i}") for i in range(count)]
    session.add_all(shoppers)
    await session.flush()
    addresses = [
        Address(
            shopper_id=s.id, recipient_name="李四", phone_cipher=encrypt("13900139000", purpose="address.phone"),
            phone_masked=mask_phone("13900139000"), province_code="310000", city_code="310100",
            district_code="310101", province="上海市", city="上海市", district="黄浦区", detail="南京东路 1 号",
            is_default=True,
        )
        for s in shoppers
    ]
    session.add_all(addresses)
    await session.commit()
    return [(shopper_headers(s), a.id) for s, a in zip(shoppers, addresses, strict=True)]


async def test_200_concurrent_orders_for_10_units(client, session, db):
    # given a SKU with 10 units and 200 shoppers
    sku_id = await make_sku(session, price=990, stock=STOCK)
    buyers = await _buyers(session, BUYERS)

    # when all of them submit an order for one unit at the same moment
    async def attempt(i: int, headers: dict, address_id: int):
        return await client.post(
            "/api/v1/orders",
            headers=headers,
            json={"items": [{"sku_id": sku_id, "quantity": 1}], "address_id": address_id,
                  "idempotency_key": f"race-key-{i:04d}"},
        )

    responses = await asyncio.gather(*[attempt(i, h, a) for i, (h, a) in enumerate(buyers)])

    # then exactly 10 orders exist, stock is 0, and the other 190 were told it is out of stock
    created = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert len(created) == STOCK
    assert {(r.status_code, r.json()["code"]) for r in refused} == {(409, "out_of_stock")}
    assert len(refused) == BUYERS - STOCK
    assert await stock_of(db, sku_id) == 0
    async with db.sessionmaker() as check:
        assert await check.scalar(select(func.count()).select_from(Order)) == STOCK
        assert await check.scalar(
            select(func.count()).where(StockMovement.sku_id == sku_id, StockMovement.reason == "order_reserved")
        ) == STOCK
        assert await check.scalar(select(func.min(StockMovement.stock_after))) == 0
