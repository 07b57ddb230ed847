"""Placing an order: one transaction, snapshots, stock reserved, idempotent by key, timer scheduled."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from qingmall import jobs
from qingmall.catalog.models import Sku, Spu
from qingmall.core import clock
from qingmall.inventory.models import StockMovement
from qingmall.orders.models import Order, OrderLine
from tests.factories import make_product, make_staff, staff_headers
from tests.orders.orders_testkit import (
    create_order,
    make_buyer,
    make_sku,
    movements,
    new_key,
    order_count,
    stock_of,
)


@pytest.fixture
def huey():
    queue = jobs.get_huey()
    queue.flush()
    yield queue
    queue.flush()


async def test_order_is_created_with_snapshots_reserved_stock_and_a_timer(client, session, db, huey):
    # given a product with specs and a Beijing shopper
    spu = await make_product(
        session, title="羊毛围巾",
        spec_dimensions=[{"name": "颜色", "values": ["灰"]}, {"name": "长度", "values": ["180cm"]}],
        skus=[{"price": 12900, "stock": 5, "weight_grams": 300, "spec_values": ["灰", "180cm"],
               "image_url": "/media/grey.png"}],
    )
    spu_id = spu.id
    sku_id = await session.scalar(select(Sku.id).where(Sku.spu_id == spu_id))
    await session.rollback()
    _, headers, address_id = await make_buyer(session)
    started = clock.now()
    # when 2 are ordered
    order = await create_order(client, headers, address_id, [(sku_id, 2)])
    # then the order holds snapshots and amounts, and is waiting for payment for 30 minutes
    assert order["status"] == "pending_payment"
    assert order["status_label"] == "待付款"
    [line] = order["lines"]
    assert {k: line[k] for k in ("spu_id", "sku_id", "title", "spec_text", "image_url", "unit_price", "quantity",
                                  "goods_amount", "payable_amount", "weight_grams")} == {
        "spu_id": spu_id, "sku_id": sku_id, "title": "羊毛围巾", "spec_text": "颜色:灰 长度:180cm",
        "image_url": "/media/grey.png", "unit_price": 12900, "quantity": 2, "goods_amount": 25800,
        "payable_amount": 25800, "weight_grams": 300,
    }
    assert (order["goods_amount"], order["shipping_fee"], order["payable_amount"], order["item_count"]) == (
        25800, 0, 25800, 2,
    )
    assert order["address"]["recipient_name"] == "张三" and order["address"]["phone_masked"] == "138****8000"
    assert [(e["event"], e["to_status"], e["actor_type"]) for e in order["timeline"]] == [
        ("created", "pending_payment", "shopper"),
    ]
    deadline = datetime.fromisoformat(order["pay_deadline"])
    assert timedelta(minutes=30) <= deadline - started <= timedelta(minutes=30, seconds=5)
    assert 1795 <= order["pay_countdown_seconds"] <= 1800
    # and stock is reserved, ledgered against the order number
    assert await stock_of(db, sku_id) == 3
    async with db.sessionmaker() as check:
        movement = (await check.scalars(select(StockMovement).where(StockMovement.reason == "order_reserved"))).one()
        assert (movement.delta, movement.ref_type, movement.ref_id) == (-2, "order", order["order_no"])
        stored = (await check.scalars(select(Order))).one()
        assert "13800138000" not in str(stored.address)
        order_id = stored.id
    # and the auto-cancel job waits in the queue for the deadline
    [task] = huey.pending()
    assert (task.name, task.args) == ("cancel_unpaid_order", (order_id,))
    assert abs((task.eta - deadline.replace(tzinfo=None)).total_seconds()) < 1
    # and the merchant sees the full phone
    staff = staff_headers(await make_staff(session))
    admin = await client.get(f"/api/admin/v1/orders/{order['order_no']}", headers=staff)
    assert admin.json()["address"]["phone"] == "13800138000"


async def test_order_keeps_its_snapshot_when_the_product_changes(client, session):
    sku_id = await make_sku(session, price=1000)
    _, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, 1)])
    await session.execute(update(Sku).where(Sku.id == sku_id).values(price=1, image_url="/media/new.png"))
    await session.execute(update(Spu).values(title="改名了"))
    await session.commit()
    detail = (await client.get(f"/api/v1/orders/{order['order_no']}", headers=headers)).json()
    assert (detail["lines"][0]["title"], detail["lines"][0]["unit_price"], detail["payable_amount"]) == (
        "测试商品", 1000, 1000,
    )


async def test_same_key_returns_the_same_order_and_a_different_body_is_refused(client, session, db):
    sku_id = await make_sku(session, stock=10)
    other_sku = await make_sku(session, stock=10)
    _, headers, address_id = await make_buyer(session)
    key = new_key()
    first = await create_order(client, headers, address_id, [(sku_id, 2)], key=key)
    again = await create_order(client, headers, address_id, [(sku_id, 2)], key=key, expect=200)
    assert again["order_no"] == first["order_no"]
    reused = await create_order(client, headers, address_id, [(other_sku, 1)], key=key, expect=409)
    assert reused["code"] == "idempotency_key_reused"
    assert (await stock_of(db, sku_id), await stock_of(db, other_sku), await order_count(db)) == (8, 10, 1)


async def test_concurrent_duplicates_of_one_key_make_one_order(client, session, db):
    sku_id = await make_sku(session, stock=10)
    _, headers, address_id = await make_buyer(session)
    key = new_key()
    body = {"items": [{"sku_id": sku_id, "quantity": 1}], "address_id": address_id, "idempotency_key": key}
    responses = await asyncio.gather(*[client.post("/api/v1/orders", headers=headers, json=body) for _ in range(8)])
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["order_no"] for r in responses}) == 1
    assert (await order_count(db), await stock_of(db, sku_id), await movements(db, sku_id, "order_reserved")) == (
        1, 9, 1,
    )


async def test_problems_refuse_the_order_and_change_nothing(client, session, db):
    scarce = await make_sku(session, stock=1)
    hidden = await make_sku(session, stock=5, spu_fields={"on_shelf": False})
    _, headers, address_id = await make_buyer(session)
    refused = await create_order(client, headers, address_id, [(scarce, 2)], expect=409)
    assert refused["code"] == "out_of_stock"
    assert refused["details"]["problems"] == [
        {"sku_id": scarce, "code": "insufficient_stock", "message": "库存不足，仅剩 1 件", "available": 1}
    ]
    refused = await create_order(client, headers, address_id, [(hidden, 1)], expect=409)
    assert (refused["code"], refused["message"]) == ("off_shelf", "商品已下架")
    assert (await order_count(db), await stock_of(db, scarce), await stock_of(db, hidden)) == (0, 1, 5)


async def test_ordering_from_the_cart_removes_only_the_ordered_lines(client, session, db):
    a = await make_sku(session, price=100)
    b = await make_sku(session, price=200)
    _, headers, address_id = await make_buyer(session)
    for sku_id in (a, b):
        await client.post("/api/v1/cart/items", headers=headers, json={"sku_id": sku_id, "quantity": 2})
    b_item = next(
        line["id"] for line in (await client.get("/api/v1/cart", headers=headers)).json()["groups"][0]["lines"]
        if line["sku_id"] == b
    )
    await client.patch(f"/api/v1/cart/items/{b_item}", headers=headers, json={"selected": False})
    response = await client.post(
        "/api/v1/orders", headers=headers,
        json={"from_cart": True, "address_id": address_id, "idempotency_key": new_key()},
    )
    assert response.status_code == 201, response.text
    assert [(line["sku_id"], line["quantity"]) for line in response.json()["lines"]] == [(a, 2)]
    cart = (await client.get("/api/v1/cart", headers=headers)).json()
    assert [(line["sku_id"], line["quantity"]) for line in cart["groups"][0]["lines"]] == [(b, 2)]


async def test_a_failing_job_queue_never_fails_the_order(client, session, db, monkeypatch):
    def broken(name):
        raise ConnectionError("queue down")

    monkeypatch.setattr(jobs, "task", broken)
    sku_id = await make_sku(session, stock=3)
    _, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, 1)])
    assert order["status"] == "pending_payment"
    assert await stock_of(db, sku_id) == 2
    async with db.sessionmaker() as check:
        assert (await check.scalars(select(OrderLine.quantity))).all() == [1]
