"""Which shopper uploaded which image (after-sale photos, later review photos)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core import clock
from qingmall.core.db import Base, BigId, IdMixin, UTCDateTime


class ShopperUpload(IdMixin, Base):
    """An image one shopper uploaded through ``POST /api/v1/uploads/images``.

    Files are content-addressed, so two shoppers uploading the same picture share one file but each has a
    row: a photo URL is accepted in an after-sale only if a row says THIS shopper uploaded it.
    ``(shopper_id, url)`` is unique: uploading the same picture again keeps one row.
    """

    __tablename__ = "shopper_uploads"

    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(512))
    thumbnail_url: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    size_bytes: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (UniqueConstraint("shopper_id", "url"),)
