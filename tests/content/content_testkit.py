"""Helpers of the content tests: image URLs the shop's storage would have made, and a banner body."""

from __future__ import annotations

import hashlib
from typing import Any

ADMIN = "/api/admin/v1/banners"
HOME = "/api/v1/home"


def image_url(n: int, extension: str = "png") -> str:
    """The URL an image uploaded through ``/api/admin/v1/media/images`` gets (content-addressed key)."""
    digest = hashlib.sha256(f"banner-{n}".encode()).hexdigest()
    return f"/media/images/{digest[:2]}/{digest}.{extension}"


def thumb_url(n: int) -> str:
    return image_url(n).rsplit(".", 1)[0] + ".thumb.webp"


def banner_body(n: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"title": f"活动{n}", "image_url": image_url(n)}
    body.update(overrides)
    return body
