"""Catalog: a category tree, SPUs (what a shopper sees as one product) and their SKU matrix.

An SPU declares spec dimensions, e.g. ``[{"name": "颜色", "values": ["黑", "白"]}, {"name": "尺码", ...}]``;
each SKU is one combination (``spec_values`` in dimension order, ``spec_key`` = values joined by ``/``).
Stock lives on the SKU and changes only through ``inventory.service`` (conditional UPDATEs, ledgered).
``price_min``/``price_max``/``original_price_min`` on the SPU are denormalised from its
enabled SKUs by ``catalog.service.refresh_spu`` for list sorting and display.
``search_text`` is indexed for full-text search by DDL attached here (see ``qingmall.core.search``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, BigId, IdMixin, TimestampMixin
from qingmall.core.search import attach_search_ddl


class Category(IdMixin, TimestampMixin, Base):
    """A node of the category tree (two or three levels in practice)."""

    __tablename__ = "categories"

    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    icon_url: Mapped[str] = mapped_column(String(512), default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    is_visible: Mapped[bool] = mapped_column(default=True)


class Spu(IdMixin, TimestampMixin, Base):
    """A product as listed: title, media, detail blocks, spec dimensions; sold through its SKUs.

    ``detail`` is a list of blocks (``{"type": "text", "text": ...}`` / ``{"type": "image", "url": ...}``),
    rendered natively by the mini-program and H5, so no merchant HTML ever reaches a shopper's page.
    ``search_text`` is the rjieba-segmented title, subtitle, tags and category, indexed for full-text search.
    ``original_price_min`` is the crossed-out price shown beside ``price_min``: the original price of the
    cheapest enabled SKU (0 = none), so the pair on a list card always belongs to one SKU.
    """

    __tablename__ = "spus"

    category_id: Mapped[int] = mapped_column(BigId, ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    subtitle: Mapped[str] = mapped_column(String(255), default="")
    main_image_url: Mapped[str] = mapped_column(String(512), default="")
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    video_url: Mapped[str] = mapped_column(String(512), default="")
    detail: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    spec_dimensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_on_shelf: Mapped[bool] = mapped_column(default=False, index=True)
    shipping_template_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("shipping_templates.id", ondelete="SET NULL")
    )
    price_min: Mapped[int] = mapped_column(default=0)
    price_max: Mapped[int] = mapped_column(default=0)
    original_price_min: Mapped[int] = mapped_column(default=0)
    sales_count: Mapped[int] = mapped_column(default=0)
    virtual_sales: Mapped[int] = mapped_column(default=0)
    sort_weight: Mapped[int] = mapped_column(default=0)
    search_text: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_spus_shelf_sales", "is_on_shelf", "sales_count", "id"),
        Index("ix_spus_shelf_price", "is_on_shelf", "price_min", "id"),
        Index("ix_spus_shelf_created", "is_on_shelf", "created_at", "id"),
    )


attach_search_ddl(Spu.__table__)


class Sku(IdMixin, TimestampMixin, Base):
    """One sellable combination of an SPU's specs, with its own price (fen), stock and weight (grams).

    ``stock >= 0`` is enforced by the database as well as by the conditional UPDATE that reserves it.
    ``max_per_order`` (0 = no limit) caps the quantity of this SKU in one cart line / order.
    """

    __tablename__ = "skus"

    spu_id: Mapped[int] = mapped_column(BigId, ForeignKey("spus.id", ondelete="CASCADE"), index=True)
    spec_values: Mapped[list[str]] = mapped_column(JSON, default=list)
    spec_key: Mapped[str] = mapped_column(String(255), default="")
    price: Mapped[int] = mapped_column()
    original_price: Mapped[int] = mapped_column(default=0)
    stock: Mapped[int] = mapped_column(default=0)
    weight_grams: Mapped[int] = mapped_column(default=0)
    barcode: Mapped[str] = mapped_column(String(64), default="")
    image_url: Mapped[str] = mapped_column(String(512), default="")
    sales_count: Mapped[int] = mapped_column(default=0)
    max_per_order: Mapped[int] = mapped_column(default=0)
    is_enabled: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        UniqueConstraint("spu_id", "spec_key"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )


class MediaFile(IdMixin, TimestampMixin, Base):
    """An uploaded image, stored re-encoded under a content hash with a WebP thumbnail.

    ``sha256`` (of the stored bytes) is unique, so uploading the same picture twice returns the same row.
    """

    __tablename__ = "media_files"

    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(512))
    thumbnail_url: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    size_bytes: Mapped[int] = mapped_column()
    uploaded_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("staff.id", ondelete="SET NULL"))
