"""Render the demo pictures and put them in the shop's storage, each with its WebP thumbnail.

Files go through ``qingmall.core.storage`` under content-addressed keys (``images/ab/<sha256>.png`` and
``<sha256>.thumb.webp``), exactly like merchant uploads, so ``storage.thumbnail_url`` works for demo
products as for any other and a later switch to S3 moves them too. Rendering is deterministic, so the
same picture always lands under the same key and a re-seed rewrites nothing. Product videos are committed
clips (``media/<product key>.mp4``) stored under ``videos/ab/<sha256>.mp4``. Drawing runs on a small
pool of worker processes, which keeps the whole set to a few seconds on two cores.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from qingmall.core.storage import Storage, image_key, thumbnail_key, video_key
from qingmall.demo import images
from qingmall.demo.data import BANNERS, CATEGORIES, PRODUCTS, SHOPPERS

THUMBNAIL_SIZE = 400
# product videos, named by the product's key: short H.264 clips made once from the product's own pictures
# (ffmpeg zoompan + crossfade), committed because the demo must not need ffmpeg or a download
VIDEO_DIR = Path(__file__).resolve().parent / "media"


@dataclass(frozen=True)
class StoredImage:
    url: str
    thumbnail_url: str


@dataclass(frozen=True)
class Encoded:
    """A picture ready to store: the file, its extension and its WebP thumbnail."""

    data: bytes
    extension: str
    thumbnail: bytes


@dataclass
class DemoAssets:
    """URLs of every stored demo picture, by the key of what it shows."""

    product_main: dict[str, StoredImage] = field(default_factory=dict)
    product_gallery: dict[str, StoredImage] = field(default_factory=dict)
    category_icons: dict[str, StoredImage] = field(default_factory=dict)
    banners: dict[str, StoredImage] = field(default_factory=dict)
    avatars: dict[str, StoredImage] = field(default_factory=dict)
    product_videos: dict[str, str] = field(default_factory=dict)  # product key -> video URL
    files_written: int = 0
    has_cjk_font: bool = False


def encode(image: Image.Image, extension: str = "png") -> Encoded:
    """Encode ``image`` (png / jpg / webp) with a thumbnail whose longer side is at most 400 px."""
    if extension == "png":
        data = images.encode_png(image)
    elif extension == "jpg":
        data = images.encode_jpeg(image)
    else:
        data = images.encode_webp(image)
    thumb_source = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")
    return Encoded(data, extension, images.encode_webp(thumb_source, THUMBNAIL_SIZE, quality=80))


async def store(storage: Storage, encoded: Encoded) -> tuple[StoredImage, int]:
    """Save a picture and its thumbnail unless already there; returns the URLs and how many files were new."""
    digest = hashlib.sha256(encoded.data).hexdigest()
    written = 0
    key = image_key(digest, encoded.extension)
    if not await storage.exists(key):
        await storage.save(key, encoded.data)
        written += 1
    thumb_key = thumbnail_key(digest)
    if not await storage.exists(thumb_key):
        await storage.save(thumb_key, encoded.thumbnail)
        written += 1
    return StoredImage(storage.url(key), storage.url(thumb_key)), written


def job_list() -> list[tuple[str, str]]:
    """(kind, key) of every picture of the shop, in a fixed order."""
    jobs = [(kind, item.key) for item in PRODUCTS for kind in ("main", "gallery")]
    jobs += [("category", name) for top in CATEGORIES for name in (top.name, *(n for n, _ in top.children))]
    jobs += [("banner", banner.key) for banner in BANNERS]
    jobs += [("avatar", shopper.key) for shopper in SHOPPERS]
    return jobs


def render_job(kind: str, key: str, font_path: str | None) -> Encoded:
    """Render and encode one picture; a module-level function so worker processes can run it."""
    if kind in ("main", "gallery"):
        item = next(p for p in PRODUCTS if p.key == key)
        return encode(images.render_product(item, 0 if kind == "main" else 1, font_path=font_path))
    if kind == "category":
        for top in CATEGORIES:
            if top.name == key:
                return encode(images.render_category_icon(top, top.icon, key))
            for name, icon in top.children:
                if name == key:
                    return encode(images.render_category_icon(top, icon, name))
    if kind == "banner":
        banner = next(b for b in BANNERS if b.key == key)
        icon = next((top.icon for top in CATEGORIES if top.name == banner.link_category), "box")
        return encode(images.render_banner(banner, icon, font_path=font_path))
    if kind == "avatar":
        shopper = next(s for s in SHOPPERS if s.key == key)
        return encode(images.render_avatar(shopper.key, shopper.nickname, font_path=font_path))
    raise KeyError((kind, key))


def render_all(jobs: list[tuple[str, str]], font_path: str | None, workers: int) -> list[Encoded]:
    """Render ``jobs`` on ``workers`` processes (drawing is CPU-bound Python, so threads would queue on
    the GIL); falls back to this process when worker processes cannot be started."""
    kinds, keys = [kind for kind, _ in jobs], [key for _, key in jobs]
    if workers > 1:
        try:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                return list(pool.map(render_job, kinds, keys, [font_path] * len(jobs), chunksize=8))
        except (OSError, BrokenProcessPool):
            pass
    return [render_job(kind, key, font_path) for kind, key in jobs]


RenderCache = dict[str, list[Encoded]]


async def build_assets(storage: Storage, *, workers: int | None = None, cache: RenderCache | None = None) -> DemoAssets:
    """Render and store every demo picture (products, category icons, banners, avatars).

    With ``cache`` (a dict the caller keeps), pictures rendered once in this process are reused.
    """
    font_path = images.find_cjk_font()
    assets = DemoAssets(has_cjk_font=font_path is not None)
    jobs = job_list()
    rendered = cache.get(font_path or "") if cache is not None else None
    if rendered is None:
        count = workers if workers is not None else min(4, os.cpu_count() or 1)
        rendered = await asyncio.to_thread(render_all, jobs, font_path, count)
        if cache is not None:
            cache[font_path or ""] = rendered
    targets = {
        "main": assets.product_main, "gallery": assets.product_gallery, "category": assets.category_icons,
        "banner": assets.banners, "avatar": assets.avatars,
    }
    for (kind, key), encoded in zip(jobs, rendered, strict=True):
        stored, written = await store(storage, encoded)
        targets[kind][key] = stored
        assets.files_written += written
    for path in sorted(VIDEO_DIR.glob("*.mp4")):
        data = path.read_bytes()
        key = video_key(hashlib.sha256(data).hexdigest())
        if not await storage.exists(key):
            await storage.save(key, data)
            assets.files_written += 1
        assets.product_videos[path.stem] = storage.url(key)
    return assets


async def store_review_photo(storage: Storage, product_key: str, n: int) -> StoredImage:
    """A shopper's photo for a review of product ``product_key`` (JPEG, like a phone camera's)."""
    item = next(p for p in PRODUCTS if p.key == product_key)
    encoded = await asyncio.to_thread(lambda: encode(images.render_review_photo(item, n), "jpg"))
    stored, _ = await store(storage, encoded)
    return stored

