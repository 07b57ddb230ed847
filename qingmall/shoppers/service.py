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

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core.crypto import decrypt, is_mainland_mobile, normalize_phone, phone_hash
from qingmall.core.errors import NotFound
from qingmall.core.pagination import Page, cursor_id, decode_cursor, encode_cursor
from qingmall.orders.models import Order
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
from qingmall.wallet.models import BalanceAccount

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


@dataclass(frozen=True)
class _OrderStats:
    paid_order_count: int = 0
    paid_total: int = 0
    last_order_at: datetime | None = None


def _to_admin(shopper: Shopper, balance: int | None = 0, stats: _OrderStats | None = None) -> ShopperAdminPublic:
    stats = stats or _OrderStats()
    return ShopperAdminPublic(
        id=shopper.id,
        nickname=shopper.nickname,
        avatar_url=shopper.avatar_url,
        phone_masked=shopper.phone_masked,
        has_wechat=shopper.openid is not None,
        is_active=shopper.is_active,
        created_at=shopper.created_at,
        last_login_at=shopper.last_login_at,
        paid_order_count=stats.paid_order_count,
        paid_total=stats.paid_total,
        last_order_at=stats.last_order_at,
        balance=balance or 0,
    )


async def _order_stats(session: AsyncSession, shopper_ids: list[int]) -> dict[int, _OrderStats]:
    """What each shopper bought, for a whole page in one grouped query (the ``shopper_id`` index)."""
    if not shopper_ids:
        return {}
    paid = Order.paid_at.is_not(None)
    statement = (
        select(
            Order.shopper_id,
            func.count(Order.id).filter(paid),
            func.coalesce(func.sum(Order.paid_amount).filter(paid), 0),
            func.max(Order.created_at),
        )
        .where(Order.shopper_id.in_(shopper_ids))
        .group_by(Order.shopper_id)
    )
    return {
        shopper_id: _OrderStats(int(count), int(total), last)
        for shopper_id, count, total, last in (await session.execute(statement)).all()
    }


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
    statement = (
        select(Shopper, BalanceAccount.balance)
        .outerjoin(BalanceAccount, BalanceAccount.shopper_id == Shopper.id)
        .order_by(Shopper.id.desc())
        .limit(limit + 1)
    )
    if query:
        phone = normalize_phone(query)
        if is_mainland_mobile(phone):
            statement = statement.where(Shopper.phone_hash == phone_hash(phone))
        else:
            statement = statement.where(Shopper.nickname.ilike(f"%{_escape_like(query)}%", escape="\\"))
    after = decode_cursor(cursor, 1)
    if after is not None:
        statement = statement.where(Shopper.id < cursor_id(after[0]))
    rows = list((await session.execute(statement)).all())
    next_cursor = encode_cursor([rows[limit - 1][0].id]) if len(rows) > limit else None
    rows = rows[:limit]
    stats = await _order_stats(session, [shopper.id for shopper, _ in rows])
    items = [_to_admin(shopper, balance, stats.get(shopper.id)) for shopper, balance in rows]
    return Page[ShopperAdminPublic](items=items, next_cursor=next_cursor)


async def admin_get_shopper(session: AsyncSession, shopper_id: int) -> ShopperAdminDetail:
    """One shopper with their addresses (phones masked) and how many products they saved."""
    shopper = await get_shopper(session, shopper_id)
    addresses = await list_addresses(session, shopper_id)
    balance = await session.scalar(select(BalanceAccount.balance).where(BalanceAccount.shopper_id == shopper_id))
    stats = (await _order_stats(session, [shopper_id])).get(shopper_id)
    return ShopperAdminDetail(
        **_to_admin(shopper, balance, stats).model_dump(),
        addresses=[AddressPublic.model_validate(a) for a in addresses],
        favourite_count=await count_favourites(session, shopper_id),
    )
