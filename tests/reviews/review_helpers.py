"""Builders for review tests: orders are inserted directly (the orders area has its own tests)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from itertools import count

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.models import Sku, Spu
from qingmall.orders.models import Order, OrderLine
from qingmall.reviews.models import Review
from qingmall.shoppers.models import Shopper

_seq = count(1)


def photo_url(n: int, extension: str = "webp", prefix: str = "/media") -> str:
    """The URL an uploaded image would get from ``core.storage`` (content-addressed key)."""
    digest = hashlib.sha256(str(n).encode()).hexdigest()
    return f"{prefix}/images/{digest[:2]}/{digest}.{extension}"


async def make_order_line(
    session: AsyncSession,
    shopper: Shopper,
    spu: Spu,
    *,
    status: str = "completed",
    spec_text: str = "黑色/XL",
) -> OrderLine:
    """One order of ``shopper`` in ``status`` with one line of ``spu``'s first SKU; commits."""
    sku = (await session.scalars(select(Sku).where(Sku.spu_id == spu.id).order_by(Sku.id))).first()
    assert sku is not None
    n = next(_seq)
    order = Order(
        order_no=f"T{n:019d}",
        shopper_id=shopper.id,
        status=status,
        idempotency_key=f"review-test-{n}",
        goods_amount=sku.price,
        payable_amount=sku.price,
        paid_amount=sku.price if status != "pending_payment" else 0,
        item_count=1,
    )
    session.add(order)
    await session.flush()
    line = OrderLine(
        order_id=order.id,
        spu_id=spu.id,
        sku_id=sku.id,
        title=spu.title,
        spec_text=spec_text,
        image_url="/media/products/p1.webp",
        unit_price=sku.price,
        quantity=1,
        goods_amount=sku.price,
        payable_amount=sku.price,
    )
    session.add(line)
    await session.commit()
    return line


async def make_review(
    session: AsyncSession,
    shopper: Shopper,
    spu: Spu,
    *,
    rating: int = 5,
    content: str = "",
    photos: list[str] | None = None,
    is_anonymous: bool = False,
    is_hidden: bool = False,
    created_at: datetime | None = None,
) -> Review:
    """A review row inserted directly (for listing and summary tests); commits."""
    line = await make_order_line(session, shopper, spu)
    review = Review(
        order_line_id=line.id,
        order_id=line.order_id,
        shopper_id=shopper.id,
        spu_id=spu.id,
        sku_id=line.sku_id,
        spec_text=line.spec_text,
        rating=rating,
        content=content,
        photos=photos or [],
        has_photos=bool(photos),
        is_anonymous=is_anonymous,
        is_hidden=is_hidden,
    )
    if created_at is not None:
        review.created_at = created_at
    session.add(review)
    await session.commit()
    return review
