"""Product video uploads: only MP4 (checked box by box), size-limited, stored under videos/<hh>/<sha256>.mp4."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

from qingmall.catalog.models import MediaFile

UPLOAD = "/api/admin/v1/media/videos"
DEMO_VIDEO = Path(__file__).resolve().parents[2] / "qingmall" / "demo" / "media" / "earbuds-freebuds3.mp4"


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def synthetic_mp4(media_bytes: int, brand: bytes = b"isom") -> bytes:
    """A structurally valid MP4 (ftyp, moov, mdat) with ``media_bytes`` of media data."""
    return box(b"ftyp", brand + b"\x00\x00\x02\x00isomiso2mp41") + box(b"moov", b"\x00" * 100) + box(
        b"mdat", b"\x01" * media_bytes
    )


async def upload(client, headers, data: bytes, name: str = "clip.mp4", content_type: str = "video/mp4"):
    return await client.post(UPLOAD, files={"file": (name, data, content_type)}, headers=headers)


async def test_an_mp4_is_stored_under_its_hash_and_served(client, owner, settings, session):
    data = DEMO_VIDEO.read_bytes()
    digest = hashlib.sha256(data).hexdigest()

    response = await upload(client, owner, data, name="../../evil.php")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"] == f"/media/videos/{digest[:2]}/{digest}.mp4"
    assert (body["content_type"], body["size_bytes"], body["thumbnail_url"]) == ("video/mp4", len(data), "")
    assert (settings.media_dir / "videos" / digest[:2] / f"{digest}.mp4").read_bytes() == data
    served = await client.get(body["url"])
    assert (served.status_code, served.content) == (200, data)
    again = await upload(client, owner, data)
    assert (again.status_code, again.json()["id"]) == (201, body["id"])
    row = await session.get(MediaFile, body["id"])
    assert (row.sha256, row.content_type) == (digest, "video/mp4")


async def test_a_video_larger_than_the_image_limit_passes_the_body_limit(client, owner, settings):
    data = synthetic_mp4(settings.upload_max_bytes + 1024 * 1024)

    response = await upload(client, owner, data)

    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == len(data)


async def test_an_oversized_video_is_413(client, owner, settings, monkeypatch):
    monkeypatch.setattr(settings, "video_upload_max_bytes", 1024 * 1024)

    response = await upload(client, owner, synthetic_mp4(1024 * 1024))

    assert response.status_code == 413
    assert response.json() == {
        "code": "file_too_large", "message": "视频不能超过 1 MB", "details": {"max_bytes": 1048576},
    }


async def test_files_that_are_not_mp4_are_rejected(client, owner):
    demo = DEMO_VIDEO.read_bytes()
    bad = {
        "html named mp4": b"<html><script>alert(1)</script></html>" * 4,
        "quicktime": synthetic_mp4(100, brand=b"qt  "),
        "script appended": demo + b"<?php system($_GET['c']); ?>",
        "truncated": demo[:-10],
        "no media box": box(b"ftyp", b"isom\x00\x00\x02\x00") + box(b"moov", b"\x00" * 20),
        "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    }
    for name, data in bad.items():
        response = await upload(client, owner, data)
        assert (name, response.status_code, response.json()["code"]) == (name, 422, "invalid_video")


async def test_empty_file_and_permissions(client, owner, support):
    empty = await upload(client, owner, b"")
    forbidden = await upload(client, support, DEMO_VIDEO.read_bytes())
    anonymous = await upload(client, {}, DEMO_VIDEO.read_bytes())

    assert (empty.status_code, empty.json()["code"]) == (422, "empty_file")
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "permission_denied")
    assert anonymous.status_code == 401
