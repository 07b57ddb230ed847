"""Shopper image uploads (``POST /api/v1/uploads/images``): photos for after-sales, later for reviews.

The same checks as the merchant's uploads (``catalog.media``): the bytes must open in Pillow as JPEG, PNG,
WebP or GIF (never SVG, never by name or claimed type), within the byte and pixel limits, and are
re-encoded without metadata (a phone photo's EXIF carries GPS), stored content-addressed with a WebP
thumbnail. Each upload is recorded against its shopper (``shopper_uploads``), so another area can accept a
photo URL only when this shopper uploaded it. Uploads are rate limited per shopper
(``UPLOADS_PER_HOUR``, moving window, Redis when configured) before the file is even read.

The router has no prefix; the app mounts it under ``/api/v1``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.media import Readable, process_image, read_limited
from qingmall.core import clock
from qingmall.core.db import SessionDep
from qingmall.core.ratelimit import RateLimiter, Rule
from qingmall.core.storage import Storage, get_storage, image_key, thumbnail_key
from qingmall.settings import get_settings
from qingmall.shoppers.deps import CurrentShopper, RateLimiterDep
from qingmall.shoppers.upload_models import ShopperUpload

UPLOADS_PER_HOUR = 30


class ShopperUploadPublic(BaseModel):
    """An uploaded image: its URL (to put in an after-sale's ``photos``) and its thumbnail's."""

    model_config = ConfigDict(from_attributes=True)

    url: str
    thumbnail_url: str
    width: int
    height: int
    content_type: str
    size_bytes: int


def upload_rule(shopper_id: int) -> Rule:
    return Rule(f"{UPLOADS_PER_HOUR}/hour", f"upload:shopper:{shopper_id}")


async def _find(session: AsyncSession, shopper_id: int, url: str) -> ShopperUpload | None:
    return await session.scalar(
        select(ShopperUpload).where(ShopperUpload.shopper_id == shopper_id, ShopperUpload.url == url)
    )


async def upload_image(
    session: AsyncSession,
    shopper_id: int,
    upload: Readable,
    *,
    limiter: RateLimiter,
    storage: Storage | None = None,
) -> ShopperUpload:
    """Check, re-encode and store a shopper's image and its thumbnail, and record who uploaded it; commits.

    429 ``too_many_requests`` past ``UPLOADS_PER_HOUR``; 413 ``file_too_large``; 422 ``invalid_image`` /
    ``image_too_many_pixels`` / ``empty_file``. The same picture twice answers the same row.
    """
    await limiter.consume(upload_rule(shopper_id), message="上传图片过于频繁，请稍后再试")
    data = await read_limited(upload, get_settings().upload_max_bytes)
    image = await asyncio.to_thread(process_image, data)
    digest = hashlib.sha256(image.data).hexdigest()
    storage = storage or get_storage()
    url = await storage.save(image_key(digest, image.extension), image.data)
    thumb_url = await storage.save(thumbnail_key(digest), image.thumbnail)
    existing = await _find(session, shopper_id, url)
    if existing is not None:
        return existing
    row = ShopperUpload(
        shopper_id=shopper_id,
        url=url,
        thumbnail_url=thumb_url,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        size_bytes=len(image.data),
        created_at=clock.now(),
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        existing = await _find(session, shopper_id, url)
        if existing is None:
            raise
        return existing
    return row


async def uploaded_by(session: AsyncSession, shopper_id: int, urls: Iterable[str]) -> set[str]:
    """Which of ``urls`` this shopper uploaded (read-only)."""
    wanted = set(urls)
    if not wanted:
        return set()
    rows = await session.scalars(
        select(ShopperUpload.url).where(ShopperUpload.shopper_id == shopper_id, ShopperUpload.url.in_(wanted))
    )
    return set(rows.all())


router = APIRouter(tags=["uploads"])


@router.post("/uploads/images", status_code=201, summary="上传图片（售后凭证、评价晒图）")
async def upload_shopper_image(
    shopper: CurrentShopper,
    session: SessionDep,
    limiter: RateLimiterDep,
    file: Annotated[UploadFile, File(description="JPEG/PNG/WebP/GIF")],
) -> ShopperUploadPublic:
    return ShopperUploadPublic.model_validate(await upload_image(session, shopper.id, file, limiter=limiter))
