"""Image uploads: only real images, re-encoded without metadata, stored under a hash, with a thumbnail."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from qingmall.core.storage import LocalStorage, thumbnail_url

UPLOAD = "/api/admin/v1/media/images"
DIGEST = "ab" + "0" * 62


def png_bytes(size=(800, 600), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Secret Camera Co"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"private comment")
    return out.getvalue()


def stored_path(settings, url: str) -> Path:
    return settings.media_dir / url.removeprefix(settings.media_url_prefix + "/")


async def upload(client, headers, data: bytes, name: str = "photo.png", content_type: str = "image/png"):
    return await client.post(UPLOAD, files={"file": (name, data, content_type)}, headers=headers)


async def test_png_is_stored_with_thumbnail_and_served(client, owner, settings):
    response = await upload(client, owner, png_bytes(), name="../../evil.php")

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["width"], body["height"], body["content_type"]) == (800, 600, "image/png")
    assert body["url"].startswith("/media/images/") and body["url"].endswith(".png")
    assert "evil" not in body["url"]
    assert body["thumbnail_url"] == thumbnail_url(body["url"]) == body["url"].removesuffix(".png") + ".thumb.webp"
    with Image.open(stored_path(settings, body["thumbnail_url"])) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (400, 300))
    with Image.open(stored_path(settings, body["url"])) as original:
        assert (original.format, original.size, original.getpixel((5, 5))) == ("PNG", (800, 600), (200, 30, 30))
    served = await client.get(body["url"])
    assert served.status_code == 200
    assert served.content == stored_path(settings, body["url"]).read_bytes()


async def test_same_image_twice_is_one_file(client, owner):
    first = (await upload(client, owner, png_bytes())).json()
    second = (await upload(client, owner, png_bytes(), name="other.png")).json()

    assert first == second


async def test_jpeg_metadata_is_stripped(client, owner, settings):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get(0x010F) == "Secret Camera Co"

    response = await upload(client, owner, original, name="a.jpg", content_type="image/jpeg")

    assert response.status_code == 201
    stored = stored_path(settings, response.json()["url"]).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "comment" not in image.info
    assert b"Secret Camera" not in stored and b"private comment" not in stored


async def test_animated_gif_keeps_its_frames(client, owner, settings):
    frames = [Image.new("RGB", (60, 40), (80 * i, 0, 0)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(out) as source:
        assert source.n_frames == 3

    response = await upload(client, owner, out.getvalue(), name="a.gif", content_type="image/gif")

    assert response.status_code == 201
    with Image.open(stored_path(settings, response.json()["url"])) as image:
        assert (image.format, image.n_frames) == ("GIF", 3)


async def test_appended_payload_does_not_survive_reencoding(client, owner, settings):
    polyglot = png_bytes((50, 50)) + b"<script>alert(1)</script><?php system($_GET['c']); ?>"

    response = await upload(client, owner, polyglot)

    assert response.status_code == 201
    stored = stored_path(settings, response.json()["url"]).read_bytes()
    assert b"<script>" not in stored and b"<?php" not in stored


NOT_IMAGES = [
    (b"this is text, not a picture", "fake.png", "image/png"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', "x.svg", "image/svg+xml"),
    (b"<!doctype html><html><script>alert(1)</script></html>", "x.png", "image/png"),
    (png_bytes()[:200], "truncated.png", "image/png"),
    (b"GIF89a" + b"\x00" * 20, "x.gif", "image/gif"),
]


async def test_non_images_are_rejected(client, owner):
    answers = []
    for data, name, content_type in NOT_IMAGES:
        response = await upload(client, owner, data, name=name, content_type=content_type)
        answers.append((response.status_code, response.json()["code"]))

    assert answers == [(422, "invalid_image")] * len(NOT_IMAGES)


async def test_real_image_in_a_format_we_do_not_accept_is_rejected(client, owner):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "BMP")

    response = await upload(client, owner, out.getvalue(), name="a.png")

    assert (response.status_code, response.json()["code"]) == (422, "invalid_image")


async def test_too_many_bytes_is_413(client, owner, settings, monkeypatch):
    monkeypatch.setattr(settings, "upload_max_bytes", 1024 * 1024)
    noisy = Image.frombytes("RGB", (1024, 1024), bytes(range(256)) * (3 * 1024 * 4))
    out = io.BytesIO()
    noisy.save(out, "PNG", compress_level=0)
    assert len(out.getvalue()) > 1024 * 1024

    response = await upload(client, owner, out.getvalue())

    assert response.status_code == 413
    assert response.json() == {
        "code": "file_too_large", "message": "图片不能超过 1 MB", "details": {"max_bytes": 1048576},
    }


async def test_decompression_bomb_is_rejected_before_decoding(client, owner):
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")
    assert len(out.getvalue()) < 100_000

    response = await upload(client, owner, out.getvalue())

    assert (response.status_code, response.json()["code"]) == (422, "image_too_many_pixels")


async def test_empty_or_missing_file_and_permissions(client, owner, support):
    empty = await upload(client, owner, b"")
    missing = await client.post(UPLOAD, headers=owner)
    forbidden = await upload(client, support, png_bytes())
    anonymous = await upload(client, {}, png_bytes())

    assert (empty.status_code, empty.json()["code"]) == (422, "empty_file")
    assert missing.status_code == 422
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "permission_denied")
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    "key",
    [
        "../secret", "images/ab/../../x.jpg", "/etc/passwd", f"images/ab/{DIGEST}.php",
        f"images/ab/{DIGEST}.html", f"images/ab/{DIGEST}.jpg/..", f"images/AB/{DIGEST.upper()}.jpg",
        f"images\\ab\\{DIGEST}.jpg", "",
    ],
)
async def test_storage_refuses_keys_that_are_not_ours(tmp_path, key):
    storage = LocalStorage(tmp_path, "/media")

    with pytest.raises(ValueError):
        await storage.save(key, b"x")
    assert list(tmp_path.iterdir()) == []


async def test_storage_writes_inside_its_root(tmp_path):
    storage = LocalStorage(tmp_path, "/media/")

    url = await storage.save(f"images/ab/{DIGEST}.jpg", b"data")

    assert url == f"/media/images/ab/{DIGEST}.jpg"
    assert (tmp_path / "images" / "ab" / f"{DIGEST}.jpg").read_bytes() == b"data"
    assert await storage.exists(f"images/ab/{DIGEST}.jpg")


def test_thumbnail_url_only_rewrites_our_uploads():
    assert thumbnail_url(f"/media/images/ab/{DIGEST}.jpg") == f"/media/images/ab/{DIGEST}.thumb.webp"
    assert thumbnail_url(f"https://cdn.example.com/images/ab/{DIGEST}.png") == (
        f"https://cdn.example.com/images/ab/{DIGEST}.thumb.webp"
    )
    assert thumbnail_url("https://cdn.example.com/x.jpg") == "https://cdn.example.com/x.jpg"
    assert thumbnail_url("") == ""


def test_line_schemas_give_the_thumbnail_of_an_uploaded_picture_and_leave_other_urls_alone():
    from qingmall.cart.schemas import CartLinePublic
    from qingmall.core.storage import WithThumbnail

    stored = "/media/images/ab/" + "ab" * 32 + ".png"
    assert WithThumbnail(image_url=stored).thumbnail_url == "/media/images/ab/" + "ab" * 32 + ".thumb.webp"
    assert WithThumbnail(image_url="https://cdn.example.com/x.png").thumbnail_url == "https://cdn.example.com/x.png"
    assert "thumbnail_url" in CartLinePublic.model_json_schema(mode="serialization")["properties"]


def test_video_keys_are_storage_keys_but_never_pass_for_images():
    from qingmall.core.storage import check_key, stored_image_key, video_key

    key = video_key("cd" * 32)
    assert key == "videos/cd/" + "cd" * 32 + ".mp4"
    assert check_key(key) == key
    assert stored_image_key("/media/" + key) is None  # a review photo or banner can't be a video
    for bad in ("videos/cd/" + "cd" * 32 + ".html", "videos/../x.mp4", "videos/cd/short.mp4"):
        with pytest.raises(ValueError):
            check_key(bad)
