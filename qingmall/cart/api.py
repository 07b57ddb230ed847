"""Shopper routes of the cart area (mounted under /api/v1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qingmall.cart import service
from qingmall.cart.schemas import CartItemCreate, CartItemUpdate, CartPublic, CartSelect, parse_ids
from qingmall.core.db import SessionDep
from qingmall.shoppers.deps import CurrentShopper

router = APIRouter(prefix="/cart", tags=["cart"])

ItemId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("")
async def get_cart(session: SessionDep, shopper: CurrentShopper) -> CartPublic:
    return await service.get_cart(session, shopper.id)


@router.post("/items")
async def add_cart_item(body: CartItemCreate, session: SessionDep, shopper: CurrentShopper) -> CartPublic:
    return await service.add_item(session, shopper.id, body.sku_id, body.quantity)


@router.patch("/items/{item_id}")
async def update_cart_item(
    item_id: ItemId, body: CartItemUpdate, session: SessionDep, shopper: CurrentShopper
) -> CartPublic:
    return await service.update_item(session, shopper.id, item_id, quantity=body.quantity, selected=body.selected)


@router.delete("/items/{item_id}")
async def remove_cart_item(item_id: ItemId, session: SessionDep, shopper: CurrentShopper) -> CartPublic:
    return await service.remove_items(session, shopper.id, [item_id])


@router.delete("/items")
async def remove_cart_items(
    session: SessionDep,
    shopper: CurrentShopper,
    ids: Annotated[list[str], Query(max_length=100, description="ids=1,2,3 or ids=1&ids=2")],
) -> CartPublic:
    return await service.remove_items(session, shopper.id, parse_ids(ids))


@router.post("/select")
async def select_cart_items(body: CartSelect, session: SessionDep, shopper: CurrentShopper) -> CartPublic:
    return await service.select_items(
        session, shopper.id, selected=body.selected, item_ids=None if body.all else body.item_ids
    )
