"""Shopper image uploads: real images only, re-encoded, recorded against the shopper, rate limited."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from qingmall.shoppers import uploads
from qingmall.shoppers.upload_models import ShopperUpload
from tests.aftersales.aftersales_testkit import png_bytes
from tests.factories import make_shopper, shopper_headers

UPLOAD = "/api/v1/uploads/images"


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (320, 240), (10, 120, 200))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def test_an_upload_is_stored_without_metadata_and_recorded_for_its_shopper(client, session, db, settings):
    shopper = await make_shopper(session)
    headers = shopper_headers(shopper)
    response = await client.post(UPLOAD, headers=headers, files={"file": ("../../a.php", jpeg_with_gps(), "image/png")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["content_type"], body["width"], body["height"]) == ("image/jpeg", 320, 240)
    assert body["url"].startswith("/media/images/") and body["url"].endswith(".jpg")
    assert body["thumbnail_url"] == body["url"].removesuffix(".jpg") + ".thumb.webp"
    stored = settings.media_dir / body["url"].removeprefix(settings.media_url_prefix + "/")
    with Image.open(stored) as image:
        assert not image.getexif()
    # the same picture again is the same row
    again = await client.post(UPLOAD, headers=headers, files={"file": ("b.jpg", jpeg_with_gps(), "image/jpeg")})
    assert again.json()["url"] == body["url"]
    async with db.sessionmaker() as s:
        rows = (await s.execute(select(ShopperUpload.shopper_id, ShopperUpload.url))).all()
    assert [tuple(r) for r in rows] == [(shopper.id, body["url"])]


async def test_non_images_and_strangers_are_refused(client, session):
    headers = shopper_headers(await make_shopper(session))
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for data, name in ((svg, "x.svg"), (b"GIF89a" + b"\x00" * 20, "x.gif"), (b"", "empty.png")):
        response = await client.post(UPLOAD, headers=headers, files={"file": (name, data, "image/png")})
        assert response.status_code == 422, response.text
        assert response.json()["code"] in ("invalid_image", "empty_file")
        assert response.json()["message"]
    anonymous = await client.post(UPLOAD, files={"file": ("p.png", png_bytes(), "image/png")})
    assert anonymous.status_code == 401
    missing = await client.post(UPLOAD, headers=headers, files={"other": ("p.png", png_bytes(), "image/png")})
    assert (missing.status_code, missing.json()["code"]) == (422, "invalid_input")


async def test_uploads_are_rate_limited_per_shopper(client, session, monkeypatch):
    monkeypatch.setattr(uploads, "UPLOADS_PER_HOUR", 2)
    busy = shopper_headers(await make_shopper(session))
    calm = shopper_headers(await make_shopper(session))
    answers = [
        (await client.post(UPLOAD, headers=busy, files={"file": ("p.png", png_bytes(colour=(i, 0, 0)), "image/png")}))
        for i in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert (answers[2].json()["code"], answers[2].json()["message"]) == (
        "too_many_requests",
        "上传图片过于频繁，请稍后再试",
    )
    other = await client.post(UPLOAD, headers=calm, files={"file": ("p.png", png_bytes(), "image/png")})
    assert other.status_code == 201
