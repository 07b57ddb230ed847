"""``inventory.return_stock``: goods an after-sale took back go on sale again, ledgered, sales taken back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qingmall.catalog.models import Sku, Spu
from qingmall.core.errors import InvalidInput, NotFound
from qingmall.inventory import service as inventory
from qingmall.inventory.models import StockMovement
from tests.factories import make_product


async def test_return_stock_adds_stock_ledgers_it_and_takes_back_sales(session, db):
    # given an SPU with two SKUs, stock 5 and 0, of which 3 and 2 units were sold
    spu = await make_product(session, skus=[{"price": 100, "stock": 5}, {"price": 200, "stock": 0}])
    spu_id = spu.id
    a, b = (await session.scalars(select(Sku.id).where(Sku.spu_id == spu_id).order_by(Sku.id))).all()
    await inventory.record_sales(session, [(a, 3), (b, 2)])
    await session.commit()
    # when 2 + 1 units of a and 2 of b come back in one call
    await inventory.return_stock(
        session, [(b, 2), (a, 2), (a, 1)], ref_type="after_sale", ref_id="20260101000000000001"
    )
    await session.commit()
    # then stock went up by SKU, each SKU has one ledger row with the stock right after it, sales went down
    async with db.sessionmaker() as s:
        skus = (await s.execute(select(Sku.id, Sku.stock, Sku.sales_count).order_by(Sku.id))).all()
        assert [tuple(row) for row in skus] == [(a, 8, 0), (b, 2, 0)]
        assert await s.scalar(select(Spu.sales_count).where(Spu.id == spu_id)) == 0
        moves = (
            await s.execute(
                select(
                    StockMovement.sku_id,
                    StockMovement.delta,
                    StockMovement.stock_after,
                    StockMovement.reason,
                    StockMovement.ref_type,
                    StockMovement.ref_id,
                )
                .where(StockMovement.reason == "return")
                .order_by(StockMovement.id)
            )
        ).all()
    assert [tuple(m) for m in moves] == [
        (a, 3, 8, "return", "after_sale", "20260101000000000001"),
        (b, 2, 2, "return", "after_sale", "20260101000000000001"),
    ]
    assert inventory.REASONS["return"] == "售后退回"


async def test_return_stock_refuses_nonsense_and_unknown_skus(session):
    spu = await make_product(session)
    sku_id = await session.scalar(select(Sku.id).where(Sku.spu_id == spu.id))
    with pytest.raises(InvalidInput):
        await inventory.return_stock(session, [(sku_id, 0)], ref_type="after_sale", ref_id="x")
    await session.rollback()
    with pytest.raises(NotFound):
        await inventory.return_stock(session, [(sku_id + 999, 1)], ref_type="after_sale", ref_id="x")
    await session.rollback()
