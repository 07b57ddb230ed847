"""Shopper routes of the orders area (mounted under /api/v1). Placing an order is in ``checkout.api``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.orders import queries, service
from qingmall.orders.schemas import (
    OrderActionPublic,
    OrderCancel,
    OrderCountsPublic,
    OrderDetailPublic,
    OrderSummaryPublic,
    ShopperStatusFilter,
)
from qingmall.shoppers.deps import CurrentShopper

router = APIRouter(prefix="/orders", tags=["orders"])

OrderNoPath = Annotated[str, Path(pattern=r"^\d{8,32}$")]


@router.get("")
async def list_orders(
    session: SessionDep,
    shopper: CurrentShopper,
    status: ShopperStatusFilter = "all",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Page[OrderSummaryPublic]:
    return await queries.list_shopper_orders(session, shopper.id, status=status, cursor=cursor, limit=limit)


@router.get("/counts")
async def count_orders(session: SessionDep, shopper: CurrentShopper) -> OrderCountsPublic:
    return await queries.count_shopper_orders(session, shopper.id)


@router.get("/{order_no}")
async def get_order(order_no: OrderNoPath, session: SessionDep, shopper: CurrentShopper) -> OrderDetailPublic:
    return await queries.get_shopper_order(session, shopper.id, order_no)


@router.post("/{order_no}/cancel")
async def cancel_order(
    order_no: OrderNoPath, session: SessionDep, shopper: CurrentShopper, body: OrderCancel | None = None
) -> OrderActionPublic:
    return await service.cancel_for_shopper(session, shopper.id, order_no, body.reason if body else "")


@router.post("/{order_no}/confirm-receipt")
async def confirm_receipt(order_no: OrderNoPath, session: SessionDep, shopper: CurrentShopper) -> OrderActionPublic:
    return await service.confirm_receipt(session, shopper.id, order_no)
