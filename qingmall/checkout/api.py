"""Shopper routes of the checkout area (mounted under /api/v1): the checkout preview and placing an order."""

from __future__ import annotations

from fastapi import APIRouter, Response

from qingmall.checkout import service
from qingmall.checkout.schemas import CheckoutPreview, CheckoutRequest, OrderCreate
from qingmall.core.db import SessionDep
from qingmall.orders.schemas import OrderDetailPublic
from qingmall.shoppers.deps import CurrentShopper

router = APIRouter(tags=["checkout"])


@router.post("/checkout/preview")
async def preview_checkout(body: CheckoutRequest, session: SessionDep, shopper: CurrentShopper) -> CheckoutPreview:
    return await service.preview(session, shopper.id, body)


@router.post("/orders", status_code=201, tags=["orders"])
async def place_order(
    body: OrderCreate, session: SessionDep, shopper: CurrentShopper, response: Response
) -> OrderDetailPublic:
    """Create the order (201), or return the one this idempotency key already created (200)."""
    order, created = await service.place_order(session, shopper.id, body)
    response.status_code = 201 if created else 200
    return order
