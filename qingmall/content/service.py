"""Banners: the merchant arranges the home-page carousel; shoppers get the live ones with category shortcuts.

Invariants:
- A banner's image is an image uploaded through this shop (``core.storage.stored_image_key``), so the home
  page never hot-links or shows an arbitrary URL; the thumbnail is derived from it as for products.
- A ``category`` / ``product`` link names a category / product that exists when the banner is saved (checked
  through the catalog's own services); ``search`` carries a keyword of 1..50 characters; ``none`` no value.
  Deleting the target later is possible: the storefront then shows its usual "not found" page.
- A banner is live while ``is_visible`` and ``starts_at <= now < ends_at`` (an unset bound is open).
- Every change commits and then invalidates the catalog cache, which also holds the rendered home page;
  a banner entering or leaving its time window shows within that cache's TTL (3 s by default).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog import categories as catalog_categories
from qingmall.catalog import service as catalog_service
from qingmall.catalog.cache import invalidate_catalog
from qingmall.content.models import Banner
from qingmall.content.schemas import (
    BannerCreate,
    BannerPublic,
    BannerUpdate,
    HomeBanner,
    HomePublic,
    HomeShortcut,
)
from qingmall.core import clock
from qingmall.core.errors import InvalidInput, NotFound
from qingmall.core.storage import stored_image_key, thumbnail_url

HOME_LIMIT = 10
SEARCH_KEYWORD_MAX = 50
_ID = re.compile(r"^[1-9][0-9]{0,18}$")
_MAX_ID = 2**63 - 1
_NOT_NULL = ("title", "caption", "image_url", "link_type", "link_value", "sort_order", "is_visible")


# ---- rules --------------------------------------------------------------------------------------------


def is_live(banner: Banner, now: datetime) -> bool:
    """Whether shoppers see ``banner`` at ``now``: visible and inside its window (start inclusive)."""
    started = banner.starts_at is None or banner.starts_at <= now
    not_ended = banner.ends_at is None or now < banner.ends_at
    return banner.is_visible and started and not_ended


def _check_image(url: str) -> str:
    if stored_image_key(url) is None:
        raise InvalidInput(
            "图片地址无效：请先通过「上传图片」上传到本店，再使用返回的图片地址",
            code="invalid_image_url",
            details={"field": "image_url", "url": url[:512]},
        )
    return url


def _link_id(link_type: str, value: str) -> int:
    what = "类目" if link_type == "category" else "商品"
    number = int(value) if _ID.match(value) else 0
    if not 1 <= number <= _MAX_ID:
        raise InvalidInput(
            f"跳转{what}时，跳转内容须为{what} ID（正整数）", code="invalid_link", details={"field": "link_value"}
        )
    return number


async def _check_link(session: AsyncSession, link_type: str, value: str) -> None:
    """Refuse a link that could not work: a missing or malformed target, or a value for ``none``."""
    if link_type == "none":
        if value:
            raise InvalidInput("不跳转的轮播图不能填写跳转内容", code="invalid_link", details={"field": "link_value"})
        return
    if link_type == "search":
        if not 1 <= len(value) <= SEARCH_KEYWORD_MAX:
            raise InvalidInput(
                f"跳转搜索时，搜索词须为 1–{SEARCH_KEYWORD_MAX} 个字",
                code="invalid_link",
                details={"field": "link_value"},
            )
        return
    target_id = _link_id(link_type, value)
    try:
        if link_type == "category":
            await catalog_categories.get_category(session, target_id)
        else:
            await catalog_service.get_spu(session, target_id)
    except NotFound:
        what = "类目" if link_type == "category" else "商品"
        raise InvalidInput(
            f"跳转的{what}不存在（ID {target_id}）",
            code="link_target_not_found",
            details={"field": "link_value", "link_type": link_type, "id": target_id},
        ) from None


def _check_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("结束时间必须晚于开始时间", code="invalid_time_window", details={"field": "ends_at"})


def _public(banner: Banner, now: datetime) -> BannerPublic:
    return BannerPublic(
        id=banner.id,
        title=banner.title,
        caption=banner.caption,
        image_url=banner.image_url,
        thumbnail_url=thumbnail_url(banner.image_url),
        link_type=banner.link_type,
        link_value=banner.link_value,
        sort_order=banner.sort_order,
        is_visible=banner.is_visible,
        starts_at=banner.starts_at,
        ends_at=banner.ends_at,
        is_live=is_live(banner, now),
        created_at=banner.created_at,
        updated_at=banner.updated_at,
    )


# ---- merchant side ------------------------------------------------------------------------------------


async def _get(session: AsyncSession, banner_id: int) -> Banner:
    banner = await session.get(Banner, banner_id)
    if banner is None:
        raise NotFound("轮播图不存在", code="banner_not_found")
    return banner


async def list_banners(session: AsyncSession) -> list[BannerPublic]:
    """Every banner, hidden and expired ones too, in home-page order (``sort_order``, then id)."""
    banners = (await session.scalars(select(Banner).order_by(Banner.sort_order, Banner.id))).all()
    now = clock.now()
    return [_public(banner, now) for banner in banners]


async def get_banner(session: AsyncSession, banner_id: int) -> BannerPublic:
    return _public(await _get(session, banner_id), clock.now())


async def _save(session: AsyncSession, banner: Banner) -> BannerPublic:
    await session.commit()
    await invalidate_catalog()
    return _public(banner, clock.now())


async def create_banner(session: AsyncSession, data: BannerCreate) -> BannerPublic:
    """Add a banner after checking its image, link and window; commits."""
    _check_image(data.image_url)
    await _check_link(session, data.link_type, data.link_value)
    _check_window(data.starts_at, data.ends_at)
    banner = Banner(**data.model_dump())
    session.add(banner)
    return await _save(session, banner)


async def update_banner(session: AsyncSession, banner_id: int, data: BannerUpdate) -> BannerPublic:
    """Change the fields sent, then check the merged banner as a whole; commits.

    A new ``link_type`` other than ``none`` needs its ``link_value`` in the same request (the old value
    belonged to another kind of target); switching to ``none`` clears the value.
    """
    banner = await _get(session, banner_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    for field in _NOT_NULL:
        if field in changes and changes[field] is None:
            raise InvalidInput("该字段不能为空", code="invalid_input", details={"field": field})
    new_type = changes.get("link_type", banner.link_type)
    if new_type != banner.link_type and "link_value" not in changes:
        if new_type != "none":
            raise InvalidInput("修改跳转类型时请同时填写跳转内容", code="invalid_link", details={"field": "link_value"})
        changes["link_value"] = ""
    if "image_url" in changes:
        _check_image(changes["image_url"])
    if "link_type" in changes or "link_value" in changes:
        await _check_link(session, new_type, changes.get("link_value", banner.link_value))
    _check_window(changes.get("starts_at", banner.starts_at), changes.get("ends_at", banner.ends_at))
    for field, value in changes.items():
        setattr(banner, field, value)
    return await _save(session, banner)


async def delete_banner(session: AsyncSession, banner_id: int) -> None:
    """Remove a banner for good (to pause one, hide it instead); commits."""
    banner = await _get(session, banner_id)
    await session.delete(banner)
    await session.commit()
    await invalidate_catalog()


# ---- shopper side -------------------------------------------------------------------------------------


async def live_banners(session: AsyncSession, limit: int = HOME_LIMIT) -> Sequence[Banner]:
    """Banners shoppers see now, in order; at most ``limit``."""
    now = clock.now()
    query = (
        select(Banner)
        .where(
            Banner.is_visible == true(),
            or_(Banner.starts_at.is_(None), Banner.starts_at <= now),
            or_(Banner.ends_at.is_(None), Banner.ends_at > now),
        )
        .order_by(Banner.sort_order, Banner.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def get_home(session: AsyncSession) -> HomePublic:
    """The home page: live banners and the visible top-level categories (the catalog's own tree, so a
    hidden category and everything under it stay hidden), each at most ``HOME_LIMIT``."""
    banners = [
        HomeBanner(
            id=b.id,
            title=b.title,
            caption=b.caption,
            image_url=b.image_url,
            thumbnail_url=thumbnail_url(b.image_url),
            link_type=b.link_type,
            link_value=b.link_value,
        )
        for b in await live_banners(session)
    ]
    tree = await catalog_categories.visible_tree(session)
    shortcuts = [
        HomeShortcut(category_id=node.id, name=node.name, icon_url=node.icon_url) for node in tree[:HOME_LIMIT]
    ]
    return HomePublic(banners=banners, shortcuts=shortcuts)
