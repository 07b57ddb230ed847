"""Shopper profiles and the merchant's view of shoppers; the entry point other areas import.

Other areas call (all take an ``AsyncSession``):
- ``get_address(session, shopper_id, address_id) -> Address`` (``NotFound`` for another shopper's) and
  ``address_snapshot(address) -> dict`` for checkout;
- ``get_default_address(session, shopper_id) -> Address | None``;
- ``record_view(session, shopper_id, spu_id)`` from the product detail route (commits by itself);
- ``get_shopper(session, shopper_id) -> Shopper`` and ``shopper_phone(shopper) -> str | None``.
Login lives in ``auth_service``, addresses in ``address_service``, favourites and history in
``favourite_service``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core.crypto import decrypt, is_mainland_mobile, normalize_phone, phone_hash
from qingmall.core.errors import NotFound
from qingmall.core.pagination import Page, cursor_id, decode_cursor, encode_cursor
from qingmall.shoppers.address_service import (
    address_snapshot,
    get_address,
    get_default_address,
    list_addresses,
)
from qingmall.shoppers.auth_service import PHONE_PURPOSE
from qingmall.shoppers.favourite_service import count_favourites, record_view
from qingmall.shoppers.models import Shopper
from qingmall.shoppers.schemas import (
    AddressPublic,
    ShopperAdminDetail,
    ShopperAdminPublic,
    ShopperPublic,
    ShopperUpdate,
)

__all__ = [
    "address_snapshot",
    "admin_get_shopper",
    "admin_list_shoppers",
    "get_address",
    "get_default_address",
    "get_shopper",
    "record_view",
    "shopper_phone",
    "to_public",
    "update_profile",
]


def to_public(shopper: Shopper) -> ShopperPublic:
    return ShopperPublic(
        id=shopper.id,
        nickname=shopper.nickname,
        avatar_url=shopper.avatar_url,
        phone_masked=shopper.phone_masked,
        has_wechat=shopper.openid is not None,
        created_at=shopper.created_at,
    )


def _to_admin(shopper: Shopper) -> ShopperAdminPublic:
    return ShopperAdminPublic(
        id=shopper.id,
        nickname=shopper.nickname,
        avatar_url=shopper.avatar_url,
        phone_masked=shopper.phone_masked,
        has_wechat=shopper.openid is not None,
        is_active=shopper.is_active,
        created_at=shopper.created_at,
        last_login_at=shopper.last_login_at,
    )


async def get_shopper(session: AsyncSession, shopper_id: int) -> Shopper:
    shopper = await session.get(Shopper, shopper_id)
    if shopper is None:
        raise NotFound("顾客不存在", code="shopper_not_found")
    return shopper


def shopper_phone(shopper: Shopper) -> str | None:
    """The shopper's bound phone in clear (for notifications/couriers); ``None`` when not bound."""
    if not shopper.phone_cipher:
        return None
    return decrypt(shopper.phone_cipher, purpose=PHONE_PURPOSE)


async def update_profile(session: AsyncSession, shopper: Shopper, data: ShopperUpdate) -> Shopper:
    if data.nickname is not None:
        shopper.nickname = data.nickname
    if data.avatar_url is not None:
        shopper.avatar_url = data.avatar_url
    await session.commit()
    return shopper


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def admin_list_shoppers(
    session: AsyncSession, *, query: str | None = None, cursor: str | None = None, limit: int = 20
) -> Page[ShopperAdminPublic]:
    """Newest first. ``query`` that is a mainland mobile matches the phone exactly (by blind index);
    anything else matches the nickname as a substring."""
    statement = select(Shopper).order_by(Shopper.id.desc()).limit(limit + 1)
    if query:
        phone = normalize_phone(query)
        if is_mainland_mobile(phone):
            statement = statement.where(Shopper.phone_hash == phone_hash(phone))
        else:
            statement = statement.where(Shopper.nickname.ilike(f"%{_escape_like(query)}%", escape="\\"))
    after = decode_cursor(cursor, 1)
    if after is not None:
        statement = statement.where(Shopper.id < cursor_id(after[0]))
    shoppers = list((await session.execute(statement)).scalars())
    next_cursor = encode_cursor([shoppers[limit - 1].id]) if len(shoppers) > limit else None
    return Page[ShopperAdminPublic](items=[_to_admin(s) for s in shoppers[:limit]], next_cursor=next_cursor)


async def admin_get_shopper(session: AsyncSession, shopper_id: int) -> ShopperAdminDetail:
    """One shopper with their addresses (phones masked) and how many products they saved."""
    shopper = await get_shopper(session, shopper_id)
    addresses = await list_addresses(session, shopper_id)
    return ShopperAdminDetail(
        **_to_admin(shopper).model_dump(),
        addresses=[AddressPublic.model_validate(a) for a in addresses],
        favourite_count=await count_favourites(session, shopper_id),
    )
