"""Favourites (收藏) and browsing history (足迹) of a shopper, listed with the product's current card.

Both are one row per (shopper, product), written with an insert-or-ignore / upsert so a double tap or two
tabs never raise. History keeps the ``HISTORY_LIMIT`` most recent products per shopper. Product data is
read from ``qingmall.catalog.models`` (read only).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.models import Spu
from qingmall.core import clock
from qingmall.core.errors import NotFound
from qingmall.core.pagination import Page, cursor_id, cursor_time, decode_cursor, encode_cursor
from qingmall.shoppers.models import Favourite, ViewedProduct
from qingmall.shoppers.schemas import FavouritePublic, FavouriteState, ViewedProductPublic

HISTORY_LIMIT = 200


def _insert(session: AsyncSession, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _card(spu: Spu) -> dict[str, Any]:
    return {
        "spu_id": spu.id,
        "title": spu.title,
        "main_image_url": spu.main_image_url,
        "price_min": spu.price_min,
        "price_max": spu.price_max,
        "is_on_shelf": spu.is_on_shelf,
    }


async def add_favourite(session: AsyncSession, shopper_id: int, spu_id: int) -> FavouriteState:
    """Save a product; saving it again changes nothing. An unknown or off-shelf product is ``NotFound``."""
    on_shelf = (
        await session.execute(select(Spu.id).where(Spu.id == spu_id, Spu.is_on_shelf.is_(True)))
    ).scalar_one_or_none()
    if on_shelf is None:
        raise NotFound("商品不存在或已下架", code="product_not_found")
    stmt = _insert(session, Favourite).values(shopper_id=shopper_id, spu_id=spu_id, created_at=clock.now())
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["shopper_id", "spu_id"]))
    await session.commit()
    return FavouriteState(spu_id=spu_id, is_favourite=True)


async def remove_favourite(session: AsyncSession, shopper_id: int, spu_id: int) -> None:
    """Unsave a product (a no-op when it was not saved)."""
    await session.execute(delete(Favourite).where(Favourite.shopper_id == shopper_id, Favourite.spu_id == spu_id))
    await session.commit()


async def is_favourite(session: AsyncSession, shopper_id: int, spu_id: int) -> FavouriteState:
    found = (
        await session.execute(
            select(Favourite.id).where(Favourite.shopper_id == shopper_id, Favourite.spu_id == spu_id)
        )
    ).scalar_one_or_none()
    return FavouriteState(spu_id=spu_id, is_favourite=found is not None)


async def count_favourites(session: AsyncSession, shopper_id: int) -> int:
    return (
        await session.execute(select(func.count()).select_from(Favourite).where(Favourite.shopper_id == shopper_id))
    ).scalar_one()


async def list_favourites(
    session: AsyncSession, shopper_id: int, *, cursor: str | None = None, limit: int = 20
) -> Page[FavouritePublic]:
    """Newest first; ``next_cursor`` continues after the last item."""
    query = (
        select(Favourite, Spu)
        .join(Spu, Spu.id == Favourite.spu_id)
        .where(Favourite.shopper_id == shopper_id)
        .order_by(Favourite.id.desc())
        .limit(limit + 1)
    )
    after = decode_cursor(cursor, 1)
    if after is not None:
        query = query.where(Favourite.id < cursor_id(after[0]))
    rows = (await session.execute(query)).all()
    items = [FavouritePublic(**_card(spu), favourited_at=fav.created_at) for fav, spu in rows[:limit]]
    next_cursor = encode_cursor([rows[limit - 1][0].id]) if len(rows) > limit else None
    return Page[FavouritePublic](items=items, next_cursor=next_cursor)


async def record_view(session: AsyncSession, shopper_id: int, spu_id: int) -> None:
    """Note that ``shopper_id`` opened ``spu_id`` now (one row per product, latest time wins) and keep
    only the ``HISTORY_LIMIT`` most recent. Its own unit of work: commits, so call it after the product
    read, not inside another transaction. Best effort: a product deleted meanwhile is silently skipped."""
    now = clock.now()
    stmt = _insert(session, ViewedProduct).values(shopper_id=shopper_id, spu_id=spu_id, viewed_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["shopper_id", "spu_id"], set_={"viewed_at": now})
    try:
        await session.execute(stmt)
    except IntegrityError:
        await session.rollback()
        return
    keep = (
        select(ViewedProduct.id)
        .where(ViewedProduct.shopper_id == shopper_id)
        .order_by(ViewedProduct.viewed_at.desc(), ViewedProduct.id.desc())
        .limit(HISTORY_LIMIT)
    )
    await session.execute(
        delete(ViewedProduct).where(ViewedProduct.shopper_id == shopper_id, ViewedProduct.id.not_in(keep))
    )
    await session.commit()


async def list_history(
    session: AsyncSession, shopper_id: int, *, cursor: str | None = None, limit: int = 20
) -> Page[ViewedProductPublic]:
    """Most recently viewed first."""
    query = (
        select(ViewedProduct, Spu)
        .join(Spu, Spu.id == ViewedProduct.spu_id)
        .where(ViewedProduct.shopper_id == shopper_id)
        .order_by(ViewedProduct.viewed_at.desc(), ViewedProduct.id.desc())
        .limit(limit + 1)
    )
    after = decode_cursor(cursor, 2)
    if after is not None:
        viewed_at, last_id = cursor_time(after[0]), cursor_id(after[1])
        query = query.where(
            or_(
                ViewedProduct.viewed_at < viewed_at,
                and_(ViewedProduct.viewed_at == viewed_at, ViewedProduct.id < last_id),
            )
        )
    rows = (await session.execute(query)).all()
    items = [ViewedProductPublic(**_card(spu), viewed_at=view.viewed_at) for view, spu in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor([last.viewed_at.isoformat(), last.id])
    return Page[ViewedProductPublic](items=items, next_cursor=next_cursor)


async def clear_history(session: AsyncSession, shopper_id: int) -> None:
    await session.execute(delete(ViewedProduct).where(ViewedProduct.shopper_id == shopper_id))
    await session.commit()
