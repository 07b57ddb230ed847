"""Content the merchant arranges on the storefront: home-page banners (轮播图)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, IdMixin, TimestampMixin, UTCDateTime


class Banner(IdMixin, TimestampMixin, Base):
    """One picture of the home-page carousel and where tapping it leads.

    - ``image_url`` is always an image uploaded through this shop (``core.storage.stored_image_key``); its
      thumbnail is derived from it on read, as for products, so it is not stored.
    - ``link_type`` / ``link_value``: ``none`` (value ``""``), ``category`` / ``product`` (the id as a
      decimal string; the target existed when the banner was saved), ``search`` (a keyword of 1..50 chars).
    - Shoppers see a banner while ``is_visible`` and ``starts_at <= now < ends_at`` (an open end is
      unbounded), ordered by ``sort_order`` then id.
    """

    __tablename__ = "banners"

    title: Mapped[str] = mapped_column(String(40))
    caption: Mapped[str] = mapped_column(String(60), default="")
    image_url: Mapped[str] = mapped_column(String(512))
    link_type: Mapped[str] = mapped_column(String(16), default="none")
    link_value: Mapped[str] = mapped_column(String(64), default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    is_visible: Mapped[bool] = mapped_column(default=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("link_type IN ('none', 'category', 'product', 'search')", name="link_type_known"),
        CheckConstraint("starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at", name="window_ordered"),
    )
