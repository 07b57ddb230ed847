"""Uploads: only real JPEG/PNG/WebP/GIF images (re-encoded without metadata) and MP4 videos, stored under their hash.

An upload is trusted for nothing: not its name, not its claimed type. The bytes must open in Pillow as
one of four formats, stay under the byte and pixel limits (a small file can decode to gigabytes), and
are re-encoded, which drops EXIF (GPS), comments and anything appended to the file (polyglots). The
stored name is the SHA-256 of the re-encoded bytes, so the client's filename never reaches the disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
from dataclasses import dataclass
from typing import Protocol

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.models import MediaFile
from qingmall.core.errors import AppError, InvalidInput
from qingmall.core.storage import Storage, get_storage, image_key, thumbnail_key, video_key
from qingmall.settings import get_settings

MAX_IMAGE_PIXELS = 40_000_000  # e.g. 8000 x 5000; the decompression-bomb guard
MAX_ANIMATION_PIXELS = 100_000_000  # width x height x frames
MAX_FRAMES = 300
THUMBNAIL_SIZE = 400

_FORMATS = {  # Pillow format -> (extension, content type)
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
}
_KEEP_INFO = ("duration", "loop", "transparency", "background")


class FileTooLarge(AppError):
    status_code = 413
    code = "file_too_large"


class Readable(Protocol):
    """What the route hands in (FastAPI's ``UploadFile``): read at most ``size`` bytes."""

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    thumbnail: bytes
    extension: str
    content_type: str
    width: int
    height: int


def _invalid() -> InvalidInput:
    return InvalidInput("文件不是支持的图片（仅支持 JPEG、PNG、WebP、GIF）", code="invalid_image")


def _too_many_pixels() -> InvalidInput:
    return InvalidInput(
        f"图片像素过多（最多 {MAX_IMAGE_PIXELS // 1_000_000} 百万像素）", code="image_too_many_pixels"
    )


def _clean(frame: Image.Image) -> Image.Image:
    """A copy of one frame without metadata (EXIF, XMP, comments); the colour profile is kept."""
    copy = frame.copy()
    copy.info = {key: frame.info[key] for key in ("icc_profile", *_KEEP_INFO) if key in frame.info}
    return copy


def process_image(data: bytes) -> ProcessedImage:
    """Validate and re-encode an upload (CPU-bound; run in a thread). Raises ``InvalidInput``."""
    try:
        with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as probe:
            width, height = probe.size
            frames = getattr(probe, "n_frames", 1)
            if width < 1 or height < 1 or width * height > MAX_IMAGE_PIXELS:
                raise _too_many_pixels()
            if frames > MAX_FRAMES or width * height * frames > MAX_ANIMATION_PIXELS:
                raise _too_many_pixels()
            probe.verify()
        with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
            return _reencode(image, frames)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError) as exc:
        raise _invalid() from exc


def _reencode(image: Image.Image, frames: int) -> ProcessedImage:
    image_format = image.format or ""
    extension, content_type = _FORMATS[image_format]
    image.load()
    out = io.BytesIO()
    if frames > 1:
        sequence = []
        for index in range(frames):
            image.seek(index)
            sequence.append(_clean(image))
        first = sequence[0]
        options = {key: first.info[key] for key in ("duration", "loop") if key in first.info}
        first.save(out, image_format, save_all=True, append_images=sequence[1:], **options)
        still = sequence[0]
    else:
        still = _clean(ImageOps.exif_transpose(image) or image)
        icc = still.info.get("icc_profile")
        if image_format == "JPEG":
            if still.mode not in ("RGB", "L"):
                still = still.convert("RGB")
            still.save(out, "JPEG", quality=88, optimize=True, icc_profile=icc)
        elif image_format == "PNG":
            still.save(out, "PNG", optimize=True, icc_profile=icc)
        elif image_format == "WEBP":
            still.save(out, "WEBP", quality=88, icc_profile=icc or b"")
        else:
            still.save(out, "GIF")
    thumb = still.convert("RGBA" if _has_alpha(still) else "RGB")
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "WEBP", quality=80)
    return ProcessedImage(
        data=out.getvalue(), thumbnail=thumb_out.getvalue(), extension=extension, content_type=content_type,
        width=still.width, height=still.height,
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


async def read_limited(upload: Readable, max_bytes: int, what: str = "图片") -> bytes:
    """Read an upload, refusing it (413 ``file_too_large``) once it passes ``max_bytes``."""
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(f"{what}不能超过 {max_bytes // (1024 * 1024) or 1} MB", details={"max_bytes": max_bytes})
    if not data:
        raise InvalidInput("文件为空", code="empty_file")
    return data


async def upload_image(
    session: AsyncSession, upload: Readable, *, staff_id: int | None, storage: Storage | None = None
) -> MediaFile:
    """Check, re-encode and store an uploaded image and its WebP thumbnail; record it; commits.

    The same picture uploaded twice is stored once and returns the same ``MediaFile``.
    """
    data = await read_limited(upload, get_settings().upload_max_bytes)
    return await save_image(session, data, staff_id=staff_id, storage=storage)


async def _record(session: AsyncSession, media: MediaFile) -> MediaFile:
    """Add the ``MediaFile`` row and commit; when a concurrent upload of the same bytes won the unique
    ``sha256``, return that row instead (the stored file is the same, keyed by its hash)."""
    digest = media.sha256
    session.add(media)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        existing = await session.scalar(select(MediaFile).where(MediaFile.sha256 == digest))
        if existing is None:
            raise
        return existing
    return media


async def save_image(
    session: AsyncSession, data: bytes, *, staff_id: int | None = None, storage: Storage | None = None
) -> MediaFile:
    """``upload_image`` for bytes already in hand (the demo seed's pictures); same checks; commits."""
    image = await asyncio.to_thread(process_image, data)
    digest = hashlib.sha256(image.data).hexdigest()
    existing = await session.scalar(select(MediaFile).where(MediaFile.sha256 == digest))
    if existing is not None:
        return existing
    storage = storage or get_storage()
    url = await storage.save(image_key(digest, image.extension), image.data)
    thumb_url = await storage.save(thumbnail_key(digest), image.thumbnail)
    media = MediaFile(
        sha256=digest, url=url, thumbnail_url=thumb_url, content_type=image.content_type,
        width=image.width, height=image.height, size_bytes=len(image.data), uploaded_by=staff_id,
    )
    return await _record(session, media)


# ---- product videos -----------------------------------------------------------------------------------

VIDEO_CONTENT_TYPE = "video/mp4"
# ISO base media brands of MP4 files (QuickTime ``qt  `` and audio-only ``M4A `` are not product videos)
MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"})
_BOX_TYPE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-@\xa9")


def _invalid_video() -> InvalidInput:
    return InvalidInput("文件不是支持的视频（仅支持 MP4）", code="invalid_video")


def check_mp4(data: bytes) -> None:
    """Accept only an MP4 file: it starts with an ``ftyp`` box of an MP4 brand, and its top-level boxes
    chain exactly to the end of the file with a ``moov`` (the index) and an ``mdat`` (the media) among them.

    Walking the boxes refuses what merely starts like an MP4 (a renamed HTML page, a file with a script
    appended after the last box). Videos are stored as uploaded (no re-encoding), so this is the check.
    Raises ``InvalidInput`` (``invalid_video``).
    """
    if len(data) < 16 or data[4:8] != b"ftyp" or data[8:12] not in MP4_BRANDS:
        raise _invalid_video()
    seen: set[bytes] = set()
    offset = 0
    while offset < len(data):
        if len(data) - offset < 8:
            raise _invalid_video()
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:  # 64-bit size follows the type
            if len(data) - offset < 16:
                raise _invalid_video()
            (size,) = struct.unpack_from(">Q", data, offset + 8)
            header = 16
        elif size == 0:  # the last box runs to the end of the file
            size = len(data) - offset
        if size < header or offset + size > len(data) or not set(kind) <= _BOX_TYPE:
            raise _invalid_video()
        seen.add(kind)
        offset += size
    if not {b"moov", b"mdat"} <= seen:
        raise _invalid_video()


async def upload_video(
    session: AsyncSession, upload: Readable, *, staff_id: int | None, storage: Storage | None = None
) -> MediaFile:
    """Check and store an uploaded product video (MP4 ≤ ``video_upload_max_bytes``); record it; commits.

    Stored under ``videos/<hh>/<sha256>.mp4`` (the key scheme of the demo videos), so the same file
    uploaded twice is one file and one ``MediaFile`` row (width, height and thumbnail are left empty).
    """
    data = await read_limited(upload, get_settings().video_upload_max_bytes, what="视频")
    check_mp4(data)
    digest = hashlib.sha256(data).hexdigest()
    existing = await session.scalar(select(MediaFile).where(MediaFile.sha256 == digest))
    if existing is not None:
        return existing
    storage = storage or get_storage()
    key = video_key(digest)
    url = await storage.save(key, data) if not await storage.exists(key) else storage.url(key)
    media = MediaFile(
        sha256=digest, url=url, thumbnail_url="", content_type=VIDEO_CONTENT_TYPE,
        width=0, height=0, size_bytes=len(data), uploaded_by=staff_id,
    )
    return await _record(session, media)
