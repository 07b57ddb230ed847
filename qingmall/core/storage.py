"""Where uploaded files live: a small ``Storage`` interface and the local-disk implementation.

Keys are chosen by the service (content hashes), never by a client, and are checked against a strict
pattern before touching the disk, so a key can neither climb out of the media directory nor name an
executable or HTML file. ``LocalStorage`` writes under ``settings.media_dir``, which the app serves at
``settings.media_url_prefix``; an S3-compatible store can implement the same three methods.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, computed_field

from qingmall.settings import Settings, get_settings

IMAGE_EXTENSIONS = ("jpg", "png", "webp", "gif")
THUMBNAIL_SUFFIX = ".thumb.webp"

_IMAGE_KEY = re.compile(r"^images/[0-9a-f]{2}/[0-9a-f]{64}(?:\.(?:jpg|png|webp|gif)|\.thumb\.webp)$")
_VIDEO_KEY = re.compile(r"^videos/[0-9a-f]{2}/[0-9a-f]{64}\.mp4$")
_IMAGE_URL = re.compile(r"^(?P<base>.*/images/[0-9a-f]{2}/[0-9a-f]{64})\.(?:jpg|png|webp|gif)$")


class Storage(Protocol):
    """A place to keep files by key and to say at which URL they are served."""

    async def save(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` (overwriting the same content is fine); return its URL."""
        ...

    async def exists(self, key: str) -> bool: ...

    def url(self, key: str) -> str: ...


def image_key(digest: str, extension: str) -> str:
    """``images/ab/abcdef...64.jpg``: content-addressed, fanned out over 256 directories."""
    return f"images/{digest[:2]}/{digest}.{extension}"


def video_key(digest: str) -> str:
    """``videos/ab/abcdef...64.mp4``: product videos (H.264 MP4, what both WeChat and browsers play)."""
    return f"videos/{digest[:2]}/{digest}.mp4"


def thumbnail_key(digest: str) -> str:
    return f"images/{digest[:2]}/{digest}{THUMBNAIL_SUFFIX}"


def check_key(key: str) -> str:
    """Refuse any key that is not one of ours (``..``, absolute paths, other extensions)."""
    if not (_IMAGE_KEY.fullmatch(key) or _VIDEO_KEY.fullmatch(key)):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def stored_image_key(url: str, settings: Settings | None = None) -> str | None:
    """The storage key behind ``url`` when it names an image uploaded through this shop, else ``None``.

    Accepted: ``{media_url_prefix}/{key}`` (or the same under ``public_base_url``) where the key is one this
    module would have chosen (content-addressed, image extension). Anything else (other hosts, ``..``,
    query strings, other extensions) is refused, so a stored URL can never hot-link or smuggle content.
    """
    settings = settings or get_settings()
    prefix = settings.media_url_prefix.rstrip("/") + "/"
    bases = [prefix]
    if settings.public_base_url:
        bases.append(settings.public_base_url.rstrip("/") + prefix)
    key = next((url[len(base) :] for base in bases if url.startswith(base)), None)
    return key if key is not None and _IMAGE_KEY.fullmatch(key) else None


def thumbnail_url(url: str) -> str:
    """The thumbnail URL of an image uploaded here; any other URL (a CDN, a demo image) is returned as is."""
    match = _IMAGE_URL.fullmatch(url or "")
    if match is None:
        return url
    return match.group("base") + THUMBNAIL_SUFFIX


class LocalStorage:
    """Files under ``root`` on the local disk, served by the app under ``url_prefix``."""

    def __init__(self, root: Path, url_prefix: str) -> None:
        self.root = root.resolve()
        self.url_prefix = url_prefix.rstrip("/")

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"invalid storage key: {key!r}")
        return path

    def url(self, key: str) -> str:
        return f"{self.url_prefix}/{check_key(key)}"

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def save(self, key: str, data: bytes) -> str:
        path = self._path(key)
        await asyncio.to_thread(_write_atomically, path, data)
        return self.url(key)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it over, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def get_storage(settings: Settings | None = None) -> Storage:
    """The configured storage (local disk for now)."""
    settings = settings or get_settings()
    return LocalStorage(settings.media_dir, settings.media_url_prefix)


class WithThumbnail(BaseModel):
    """A schema that shows a picture: its ``thumbnail_url`` is derived from ``image_url`` by the storage's own
    naming rule, so clients never have to know that rule (lists and order lines show the small WebP)."""

    image_url: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def thumbnail_url(self) -> str:
        return thumbnail_url(self.image_url)
