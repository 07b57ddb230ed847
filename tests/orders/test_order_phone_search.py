"""Merchant order search by phone: the receiver's phone (blind index on the order) or the shopper's account
phone; only a complete number can be searched. The 0005 migration backfills the index of older orders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, select

from qingmall.core.crypto import encrypt, mask_phone, phone_hash
from qingmall.core.migrate import sync_url, upgrade
from qingmall.orders.models import Order
from qingmall.orders.snapshots import receiver_phone_hash
from tests.conftest import PG_URL, PostgresTestDatabase
from tests.factories import make_shopper, make_staff, shopper_headers, staff_headers
from tests.orders.orders_testkit import create_order, make_address, make_sku


async def test_a_full_phone_finds_orders_by_receiver_phone_and_by_account_phone(client, session):
    # given alice, who ships to 13911112222, and bob, whose account phone is 13911112222 but who ships elsewhere
    sku_id = await make_sku(session, price=100, stock=20)
    alice = await make_shopper(session)
    alice_id = alice.id
    alice_address = (await make_address(session, alice_id, phone="13911112222")).id
    bob = await make_shopper(session)
    bob_id = bob.id
    bob.phone_hash = phone_hash("13911112222")
    bob.phone_cipher = encrypt("13911112222", purpose="shopper.phone")
    bob.phone_masked = mask_phone("13911112222")
    await session.commit()
    bob_address = (await make_address(session, bob_id, phone="13700001111")).id
    carol = await make_shopper(session)
    carol_address = (await make_address(session, carol.id, phone="13600000000")).id
    to_alice = await create_order(client, shopper_headers(alice), alice_address, [(sku_id, 1)])
    to_bob = await create_order(client, shopper_headers(bob), bob_address, [(sku_id, 1)])
    await create_order(client, shopper_headers(carol), carol_address, [(sku_id, 1)])
    stored = await session.scalar(select(Order.receiver_phone_hash).where(Order.order_no == to_alice["order_no"]))
    await session.rollback()
    assert stored == phone_hash("13911112222")
    staff = staff_headers(await make_staff(session, role="customer_service"))

    async def numbers(query: str) -> list[str]:
        response = await client.get(f"/api/admin/v1/orders?{query}", headers=staff)
        assert response.status_code == 200, response.text
        return sorted(o["order_no"] for o in response.json()["items"])

    # when the merchant searches the full number (written in any common way)
    both = sorted([to_alice["order_no"], to_bob["order_no"]])
    assert await numbers("phone=13911112222") == both
    assert await numbers("phone=%2B86%20139-1111-2222") == both
    # then it combines with the other filters
    assert await numbers(f"phone=13911112222&shopper_id={bob_id}") == [to_bob["order_no"]]
    assert await numbers(f"phone=13911112222&order_no={to_alice['order_no']}") == [to_alice["order_no"]]
    assert await numbers("phone=13700001111") == [to_bob["order_no"]]
    assert await numbers("phone=13500000000") == []


@pytest.mark.parametrize("phone", ["1391111", "2222", "139111122223", "0571-88886666", "abc"])
async def test_a_partial_phone_is_refused_rather_than_answered_with_nothing(client, session, phone):
    staff = staff_headers(await make_staff(session, role="warehouse"))
    response = await client.get("/api/admin/v1/orders", params={"phone": phone}, headers=staff)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["details"]) == ("phone_not_exact", {"field": "phone"})
    assert "完整的 11 位手机号" in body["message"]


# ---- the 0005 migration's backfill ---------------------------------------------------------------------

PHONE_PURPOSE = "order.address.phone"


def _old_order(order_id: int, address: dict) -> dict:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return {
        "id": order_id,
        "order_no": f"2026010200000{order_id}",
        "shopper_id": 1,
        "status": "paid",
        "idempotency_key": f"old-{order_id}",
        "goods_amount": 100,
        "shipping_fee": 0,
        "discount_amount": 0,
        "payable_amount": 100,
        "paid_amount": 100,
        "item_count": 1,
        "discounts": [],
        "address": address,
        "delivery_method": "express",
        "remark": "",
        "carrier_code": "",
        "carrier_name": "",
        "tracking_no": "",
        "cancel_reason": "",
        "cancelled_by": "",
        "request_hash": "",
        "payment_ref": "",
        "status_before_after_sale": "",
        "refund_required": False,
        "created_at": moment,
        "updated_at": moment,
    }


def _backfill_round_trip(url: str) -> None:
    # given a database at 0004 holding orders placed before the index existed
    upgrade(url, "0004")
    engine = create_engine(sync_url(url))
    try:
        meta = sa.MetaData()
        meta.reflect(engine, only=["shoppers", "orders"])
        shoppers, orders = meta.tables["shoppers"], meta.tables["orders"]
        assert "receiver_phone_hash" not in orders.c
        moment = datetime(2026, 1, 1, tzinfo=UTC)
        readable = {"recipient_name": "张三", "phone_cipher": encrypt("13812345678", purpose=PHONE_PURPOSE)}
        foreign = {"recipient_name": "李四", "phone_cipher": "not-a-cipher-of-this-key"}
        with engine.begin() as conn:
            conn.execute(
                sa.insert(shoppers).values(
                    id=1, nickname="老顾客", avatar_url="", is_active=True, created_at=moment, updated_at=moment
                )
            )
            conn.execute(sa.insert(orders), [_old_order(1, readable), _old_order(2, foreign), _old_order(3, {})])
        # when the migration runs (twice: the second run is a no-op)
        upgrade(url)
        upgrade(url)
        # then the readable phone is indexed, the others stay NULL, and no phone appears in clear
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, receiver_phone_hash FROM orders ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, phone_hash("13812345678")), (2, None), (3, None)]
    finally:
        engine.dispose()


def test_migration_backfills_the_phone_index_on_sqlite(tmp_path):
    _backfill_round_trip(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")


def test_migration_backfills_the_phone_index_on_postgres():
    if not PG_URL:
        pytest.skip("QINGMALL_TEST_DATABASE_URL not set (required in CI)")
    server = PostgresTestDatabase(PG_URL, suffix="_phone_backfill")
    asyncio.run(server.create_empty())
    try:
        _backfill_round_trip(server.url)
    finally:
        asyncio.run(server.drop())


def test_an_address_snapshot_without_a_readable_phone_has_no_index():
    assert receiver_phone_hash(None) is None
    assert receiver_phone_hash({"phone_cipher": ""}) is None
    assert receiver_phone_hash({"phone_cipher": "garbage"}) is None
    cipher = encrypt("13812345678", purpose=PHONE_PURPOSE)
    assert receiver_phone_hash({"phone_cipher": cipher}) == phone_hash("13812345678")
