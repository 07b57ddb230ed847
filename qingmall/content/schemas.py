"""Request and response shapes of the content area (banners and the home page).

Bounds: title 1..40 characters, caption up to 60, link value up to 64 (a search keyword up to 50),
``sort_order`` within ±1,000,000, times timezone-aware between 2000 and 2100. Text is trimmed and refuses
control characters. Whether the image is one of the shop's uploads and whether a linked category or
product exists depend on settings and the database, so ``content.service`` checks them (after a partial
update is merged), not this module.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from qingmall.core.text import single_line

LinkType = Literal["none", "category", "product", "search"]
LINK_TYPES: tuple[str, ...] = ("none", "category", "product", "search")

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    """Aware times only (a naive one is ambiguous between UTC and Beijing time), stored as UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("时间必须带时区，例如 2026-12-01T08:00:00+08:00")
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("时间超出范围（2000 年至 2100 年）") from None
    if not EARLIEST <= moment < LATEST:
        raise ValueError("时间超出范围（2000 年至 2100 年）")
    return moment


BannerTitle = single_line(40, min_length=1)
BannerCaption = single_line(60)
ImageUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
LinkValue = single_line(64)
SortOrder = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
UtcTime = Annotated[datetime, AfterValidator(_utc)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BannerCreate(Strict):
    """A new banner; ``image_url`` comes from ``POST /api/admin/v1/media/images``."""

    title: BannerTitle
    caption: BannerCaption = ""
    image_url: ImageUrl
    link_type: LinkType = "none"
    link_value: LinkValue = ""
    sort_order: SortOrder = 0
    is_visible: bool = True
    starts_at: UtcTime | None = None
    ends_at: UtcTime | None = None


class BannerUpdate(Strict):
    """Only the fields sent change; ``starts_at`` / ``ends_at`` may be ``null`` (no bound). Changing
    ``link_type`` to anything but ``none`` needs ``link_value`` in the same request."""

    title: BannerTitle | None = None
    caption: BannerCaption | None = None
    image_url: ImageUrl | None = None
    link_type: LinkType | None = None
    link_value: LinkValue | None = None
    sort_order: SortOrder | None = None
    is_visible: bool | None = None
    starts_at: UtcTime | None = None
    ends_at: UtcTime | None = None


class BannerPublic(BaseModel):
    """A banner as the merchant console shows it; ``is_live`` = a shopper would see it right now."""

    id: int
    title: str
    caption: str
    image_url: str
    thumbnail_url: str
    link_type: str
    link_value: str
    sort_order: int
    is_visible: bool
    starts_at: datetime | None
    ends_at: datetime | None
    is_live: bool
    created_at: datetime
    updated_at: datetime


class HomeBanner(BaseModel):
    """A banner on the shopper's home page: what to show and where a tap leads."""

    id: int
    title: str
    caption: str
    image_url: str
    thumbnail_url: str
    link_type: str
    link_value: str


class HomeShortcut(BaseModel):
    """A top-level category shortcut (金刚区) on the home page."""

    category_id: int
    name: str
    icon_url: str


class HomePublic(BaseModel):
    """``GET /api/v1/home``: live banners and category shortcuts, each at most ``HOME_LIMIT``."""

    banners: list[HomeBanner]
    shortcuts: list[HomeShortcut]
