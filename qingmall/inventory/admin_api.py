"""Merchant routes of the inventory area: stock adjustments and the stock ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.inventory import service
from qingmall.inventory.schemas import StockAdjustmentCreate, StockAdjustmentResult, StockMovementPublic
from qingmall.staff.deps import require_permission
from qingmall.staff.models import Staff

router = APIRouter(tags=["admin:inventory"])

MAX_ID = 2**62
SkuId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/skus/{sku_id}/stock-adjustments", status_code=201)
async def adjust_stock(
    sku_id: SkuId,
    body: StockAdjustmentCreate,
    session: SessionDep,
    staff: Annotated[Staff, Depends(require_permission("inventory.write"))],
) -> StockAdjustmentResult:
    stock = await service.adjust_stock(
        session, sku_id=sku_id, delta=body.delta, reason=body.reason, staff_id=staff.id, note=body.note
    )
    return StockAdjustmentResult(sku_id=sku_id, stock=stock)


@router.get("/stock-movements", dependencies=[Depends(require_permission("catalog.read"))])
async def list_stock_movements(
    session: SessionDep,
    sku_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    spu_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: Annotated[str | None, Query(max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Page[StockMovementPublic]:
    return await service.list_movements(session, sku_id=sku_id, spu_id=spu_id, cursor=cursor, limit=limit)
