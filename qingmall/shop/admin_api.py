"""Merchant routes of the shop area (mounted under /api/admin/v1): the shop settings, owner only."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from qingmall.core.db import SessionDep
from qingmall.payments.gateways import GatewaysDep
from qingmall.shop import service
from qingmall.shop.schemas import ShopSettingsPublic, ShopSettingsUpdate
from qingmall.staff.deps import require_permission

router = APIRouter(prefix="/shop", tags=["admin:shop"])

manage = [Depends(require_permission("settings.manage"))]


@router.get("/settings", dependencies=manage)
async def get_shop_settings(session: SessionDep, gateways: GatewaysDep) -> ShopSettingsPublic:
    return await service.get_shop_settings(session, gateways)


@router.patch("/settings", dependencies=manage)
async def update_shop_settings(
    body: ShopSettingsUpdate, session: SessionDep, gateways: GatewaysDep
) -> ShopSettingsPublic:
    return await service.update_shop_settings(session, body, gateways)
