"""Merchant routes of the wallet area (mounted under /api/admin/v1): a shopper's balance and ledger, and
manual adjustments (``balance.adjust``, owner only; recorded by the audit middleware like every admin write)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from qingmall.core.db import SessionDep
from qingmall.staff.deps import require_permission
from qingmall.staff.models import Staff
from qingmall.wallet import queries, service
from qingmall.wallet.schemas import BalanceAdjustmentCreate, BalanceAdjustmentPublic, ShopperBalanceAdminPublic

router = APIRouter(tags=["admin:wallet"])

ShopperId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Adjuster = Annotated[Staff, Depends(require_permission("balance.adjust"))]


@router.get(
    "/shoppers/{shopper_id}/balance",
    dependencies=[Depends(require_permission("shoppers.read"))],
    summary="顾客余额与余额明细（最新在前）",
)
async def get_shopper_balance(
    shopper_id: ShopperId,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ShopperBalanceAdminPublic:
    return await queries.get_balance_admin(session, shopper_id, cursor=cursor, limit=limit)


@router.post("/shoppers/{shopper_id}/balance-adjustments", status_code=201, summary="人工调整顾客余额（说明顾客可见）")
async def adjust_shopper_balance(
    shopper_id: ShopperId, body: BalanceAdjustmentCreate, staff: Adjuster, session: SessionDep
) -> BalanceAdjustmentPublic:
    return await service.adjust_balance(session, shopper_id, body.amount, body.note, staff.id)
