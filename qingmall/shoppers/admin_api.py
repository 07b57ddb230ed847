"""Merchant routes of the shoppers area (mounted under /api/admin/v1): list/search and detail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.shoppers import service
from qingmall.shoppers.schemas import ShopperAdminDetail, ShopperAdminPublic
from qingmall.staff.deps import require_permission

router = APIRouter(tags=["admin:shoppers"])


@router.get(
    "/shoppers",
    dependencies=[Depends(require_permission("shoppers.read"))],
    summary="顾客列表（按昵称搜索，或按完整手机号精确查找）",
)
async def list_shoppers(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ShopperAdminPublic]:
    return await service.admin_list_shoppers(session, query=(q or "").strip() or None, cursor=cursor, limit=limit)


@router.get(
    "/shoppers/{shopper_id}",
    dependencies=[Depends(require_permission("shoppers.read"))],
    summary="顾客详情（含收货地址，手机号脱敏）",
)
async def get_shopper(shopper_id: Annotated[int, Path(ge=1, le=2**63 - 1)], session: SessionDep) -> ShopperAdminDetail:
    return await service.admin_get_shopper(session, shopper_id)
