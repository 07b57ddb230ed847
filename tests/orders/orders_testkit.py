"""Builders shared by the cart, checkout, orders and jobs tests: addresses, products with one SKU, orders."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.models import Sku
from qingmall.core.crypto import encrypt, mask_phone
from qingmall.core.regions import resolve_address_region
from qingmall.inventory.models import StockMovement
from qingmall.orders.models import Order
from qingmall.shoppers.models import Address, Shopper
from tests.factories import make_product, make_shopper, shopper_headers

_keys = itertools.count(1)

BEIJING = ("110000", "110100", "110105")
SHANGHAI = ("310000", "310100", "310101")
URUMQI = ("650000", "650100", "650102")


async def make_address(
    session: AsyncSession, shopper_id: int, *, region: tuple[str, str, str] = BEIJING, phone: str = "13800138000",
    is_default: bool = True,
) -> Address:
    """An address row as the shoppers area stores it (encrypted phone, region names from the codes)."""
    names = resolve_address_region(*region)
    address = Address(
        shopper_id=shopper_id,
        recipient_name="张三",
        phone_cipher=encrypt(phone, purpose="address.phone"),
        phone_masked=mask_phone(phone),
        province_code=names.province_code,
        city_code=names.city_code,
        district_code=names.district_code,
        province=names.province,
        city=names.city,
        district=names.district,
        detail="建国路 88 号 1 号楼 101",
        is_default=is_default,
    )
    session.add(address)
    await session.commit()
    return address


async def make_sku(session: AsyncSession, *, price: int = 1999, stock: int = 100, **fields: Any) -> int:
    """A product on the shelf with one SKU; returns the SKU id. ``spu_fields`` go to the SPU."""
    spu_fields = fields.pop("spu_fields", {})
    spu = await make_product(session, skus=[{"price": price, "stock": stock, **fields}], **spu_fields)
    spu_id = spu.id
    sku_id = (await session.scalars(select(Sku.id).where(Sku.spu_id == spu_id))).one()
    await session.rollback()  # on SQLite an open read transaction would hold the write lock
    return sku_id


async def make_buyer(session: AsyncSession, *, region: tuple[str, str, str] = BEIJING) -> tuple[Shopper, dict, int]:
    """A shopper with a default address: ``(shopper, auth headers, address id)``."""
    shopper = await make_shopper(session)
    address = await make_address(session, shopper.id, region=region)
    return shopper, shopper_headers(shopper), address.id


def new_key() -> str:
    return f"test-key-{next(_keys):06d}"


async def create_order(
    client: httpx.AsyncClient, headers: dict, address_id: int, items: list[tuple[int, int]], *,
    key: str | None = None, expect: int = 201,
) -> dict:
    response = await client.post(
        "/api/v1/orders",
        headers=headers,
        json={
            "items": [{"sku_id": sku_id, "quantity": qty} for sku_id, qty in items],
            "address_id": address_id,
            "idempotency_key": key or new_key(),
        },
    )
    assert response.status_code == expect, response.text
    return response.json()


async def stock_of(db_or_session: Any, sku_id: int) -> int:
    if isinstance(db_or_session, AsyncSession):
        value = await db_or_session.scalar(select(Sku.stock).where(Sku.id == sku_id))
        await db_or_session.rollback()
        return value
    async with db_or_session.sessionmaker() as session:
        return await session.scalar(select(Sku.stock).where(Sku.id == sku_id))


async def order_count(db: Any) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Order))


async def movements(db: Any, sku_id: int, reason: str) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(
            select(func.count()).where(StockMovement.sku_id == sku_id, StockMovement.reason == reason)
        )


async def order_id_of(db: Any, order_no: str) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(select(Order.id).where(Order.order_no == order_no))
