"""Shopper routes of the shop area (mounted under /api/v1): the shop's name, logo and payment channels."""

from __future__ import annotations

from fastapi import APIRouter

from qingmall.core.db import SessionDep
from qingmall.payments.gateways import GatewaysDep
from qingmall.shop import service
from qingmall.shop.schemas import ShopProfilePublic

router = APIRouter(tags=["shop"])


@router.get("/shop")
async def get_shop(session: SessionDep, gateways: GatewaysDep) -> ShopProfilePublic:
    """店铺信息: name, logo, service phone and the payment channels to offer; no login needed."""
    return await service.get_shop_profile(session, gateways)
