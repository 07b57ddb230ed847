"""Product reviews written by shoppers about the lines of their completed orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, BigId, IdMixin, TimestampMixin, UTCDateTime


class Review(IdMixin, TimestampMixin, Base):
    """One shopper's review of one order line (the unique ``order_line_id`` settles double submits).

    ``spu_id``/``sku_id``/``spec_text`` are copied from the order line so product pages never join orders.
    Photos are URLs of files uploaded through the app (under the media prefix). A review may get one
    follow-up from its author within ``settings.review_follow_up_days`` and one merchant reply (editable).
    ``has_photos`` is true when the review or its follow-up has photos (the "有图" filter and count).
    Hidden reviews are kept but never shown to other shoppers nor counted in the product's summary.
    """

    __tablename__ = "reviews"

    order_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("order_lines.id", ondelete="RESTRICT"), unique=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id", ondelete="RESTRICT"))
    spu_id: Mapped[int] = mapped_column(BigId, ForeignKey("spus.id", ondelete="RESTRICT"))
    sku_id: Mapped[int] = mapped_column(BigId, ForeignKey("skus.id", ondelete="RESTRICT"))
    spec_text: Mapped[str] = mapped_column(String(255), default="")
    rating: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(String(500), default="")
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    has_photos: Mapped[bool] = mapped_column(default=False)
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    follow_up_content: Mapped[str] = mapped_column(String(500), default="")
    follow_up_photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_content: Mapped[str] = mapped_column(String(500), default="")
    reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_staff_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("staff.id", ondelete="SET NULL"))
    is_hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str] = mapped_column(String(200), default="")
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_reviews_spu_visible_created", "spu_id", "is_hidden", "created_at", "id"),
        Index("ix_reviews_shopper_created", "shopper_id", "created_at", "id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )
