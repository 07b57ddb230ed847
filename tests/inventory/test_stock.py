"""Stock never goes below zero, every change is ledgered, and concurrent reservations really race."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from qingmall.catalog.models import Sku
from qingmall.core.db import Database
from qingmall.inventory import service
from qingmall.inventory.models import StockMovement
from tests.factories import make_product, make_staff, staff_headers


async def _sku(session, spu_id: int) -> Sku:
    return (await session.scalars(select(Sku).where(Sku.spu_id == spu_id))).one()


async def test_reserve_takes_stock_and_writes_ledger(session):
    # given a SKU with 5 units
    spu = await make_product(session, skus=[{"price": 100, "stock": 5}])
    sku = await _sku(session, spu.id)
    # when 3 are reserved for an order
    await service.reserve_stock(session, [(sku.id, 2), (sku.id, 1)], ref_type="order", ref_id=42)
    await session.commit()
    # then 2 remain and the ledger explains it
    await session.refresh(sku)
    assert sku.stock == 2
    movement = (await session.scalars(select(StockMovement))).one()
    assert (movement.delta, movement.stock_after, movement.reason, movement.ref_id) == (-3, 2, "order_reserved", "42")


async def test_reserve_is_all_or_nothing(session):
    spu = await make_product(session, skus=[{"price": 100, "stock": 5}, {"price": 200, "stock": 1}])
    spu_id = spu.id
    first, second = (await session.scalars(select(Sku.id).where(Sku.spu_id == spu_id).order_by(Sku.id))).all()
    with pytest.raises(service.OutOfStock) as caught:
        await service.reserve_stock(session, [(first, 1), (second, 2)], ref_type="order", ref_id=1)
    await session.rollback()
    assert caught.value.details == {"sku_id": second, "requested": 2}
    stocks = (await session.scalars(select(Sku.stock).where(Sku.spu_id == spu_id).order_by(Sku.id))).all()
    assert stocks == [5, 1]


async def test_release_gives_stock_back(session):
    spu = await make_product(session, skus=[{"price": 100, "stock": 1}])
    sku = await _sku(session, spu.id)
    await service.reserve_stock(session, [(sku.id, 1)], ref_type="order", ref_id=7)
    await service.release_stock(session, [(sku.id, 1)], ref_type="order", ref_id=7)
    await session.commit()
    await session.refresh(sku)
    assert sku.stock == 1
    reasons = (await session.scalars(select(StockMovement.reason).order_by(StockMovement.id))).all()
    assert reasons == ["order_reserved", "order_released"]


async def test_unknown_sku_is_not_found(session):
    from qingmall.core.errors import NotFound

    with pytest.raises(NotFound):
        await service.reserve_stock(session, [(999_999, 1)], ref_type="order", ref_id=1)


async def test_concurrent_reservations_never_oversell(db: Database):
    # given a SKU with 10 units
    async with db.sessionmaker() as session:
        spu = await make_product(session, skus=[{"price": 100, "stock": 10}])
        sku_id = (await _sku(session, spu.id)).id

    # when 60 independent transactions each try to take one unit at the same moment
    start = asyncio.Event()

    async def attempt(n: int) -> bool:
        await start.wait()
        async with db.sessionmaker() as s:
            try:
                await service.reserve_stock(s, [(sku_id, 1)], ref_type="order", ref_id=n)
                await s.commit()
                return True
            except service.OutOfStock:
                await s.rollback()
                return False

    tasks = [asyncio.create_task(attempt(n)) for n in range(60)]
    start.set()
    results = await asyncio.gather(*tasks)

    # then exactly 10 succeed, stock is 0 and the ledger has exactly 10 reservations
    assert results.count(True) == 10
    async with db.sessionmaker() as session:
        assert await session.scalar(select(Sku.stock).where(Sku.id == sku_id)) == 0
        count = await session.scalar(select(func.count()).select_from(StockMovement))
        assert count == 10


async def test_staff_adjustment_via_api(client, session):
    spu = await make_product(session, skus=[{"price": 100, "stock": 3}])
    sku = await _sku(session, spu.id)
    warehouse = await make_staff(session, role="warehouse")
    response = await client.post(
        f"/api/admin/v1/skus/{sku.id}/stock-adjustments",
        json={"delta": -5, "reason": "adjust_out"},
        headers=staff_headers(warehouse),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    response = await client.post(
        f"/api/admin/v1/skus/{sku.id}/stock-adjustments",
        json={"delta": 7, "reason": "adjust_in", "note": "到货"},
        headers=staff_headers(warehouse),
    )
    assert response.status_code == 201
    assert response.json() == {"sku_id": sku.id, "stock": 10}
    ledger = await client.get(f"/api/admin/v1/stock-movements?sku_id={sku.id}", headers=staff_headers(warehouse))
    assert [(m["delta"], m["stock_after"], m["reason_label"]) for m in ledger.json()["items"]] == [(7, 10, "入库")]


async def test_customer_service_cannot_adjust_stock(client, session):
    spu = await make_product(session, skus=[{"price": 100, "stock": 3}])
    sku = await _sku(session, spu.id)
    agent = await make_staff(session, role="customer_service")
    response = await client.post(
        f"/api/admin/v1/skus/{sku.id}/stock-adjustments",
        json={"delta": 1, "reason": "adjust_in"},
        headers=staff_headers(agent),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(("reason", "delta"), [("adjust_out", 7), ("adjust_in", -7), ("damaged", 1), ("return_in", -1)])
async def test_adjustment_sign_must_match_reason(session, reason, delta):
    spu = await make_product(session, skus=[{"price": 100, "stock": 10}])
    sku_id = (await _sku(session, spu.id)).id
    from qingmall.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        await service.adjust_stock(session, sku_id=sku_id, delta=delta, reason=reason, staff_id=None)
    assert caught.value.code == "invalid_quantity"
    await session.rollback()
    assert await session.scalar(select(Sku.stock).where(Sku.id == sku_id)) == 10


async def test_stocktake_may_go_either_way(session):
    spu = await make_product(session, skus=[{"price": 100, "stock": 10}])
    sku_id = (await _sku(session, spu.id)).id
    assert await service.adjust_stock(session, sku_id=sku_id, delta=-3, reason="stocktake", staff_id=None) == 7
    assert await service.adjust_stock(session, sku_id=sku_id, delta=2, reason="stocktake", staff_id=None) == 9


async def test_revoke_sales_undoes_record_sales(session):
    from qingmall.catalog.models import Spu

    spu = await make_product(session, skus=[{"price": 100, "stock": 10}, {"price": 200, "stock": 10}])
    spu_id = spu.id
    first, second = (await session.scalars(select(Sku.id).where(Sku.spu_id == spu_id).order_by(Sku.id))).all()
    await service.record_sales(session, [(first, 2), (second, 3)])
    await session.commit()
    assert await session.scalar(select(Spu.sales_count).where(Spu.id == spu_id)) == 5
    await service.revoke_sales(session, [(first, 2)])
    await session.commit()
    assert await session.scalar(select(Spu.sales_count).where(Spu.id == spu_id)) == 3
    counts = (await session.scalars(select(Sku.sales_count).where(Sku.spu_id == spu_id).order_by(Sku.id))).all()
    assert counts == [0, 3]


async def test_huge_and_garbage_ids_are_422(client, session):
    owner = await make_staff(session)
    headers = staff_headers(owner)
    from qingmall.core.pagination import encode_cursor

    answers = [
        (await client.post(f"/api/admin/v1/skus/{2**63}/stock-adjustments", headers=headers,
                           json={"delta": 1, "reason": "adjust_in"})).status_code,
        (await client.get(f"/api/admin/v1/stock-movements?sku_id={2**63}", headers=headers)).status_code,
        (await client.get("/api/admin/v1/stock-movements", headers=headers,
                          params={"cursor": encode_cursor(["x"])})).status_code,
        (await client.get("/api/admin/v1/stock-movements", headers=headers,
                          params={"cursor": encode_cursor([2**63])})).status_code,
    ]
    assert answers == [422, 422, 422, 422]
