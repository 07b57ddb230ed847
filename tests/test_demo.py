"""The demo shop: its data, its pictures, and the seed on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import stat
from collections import Counter
from itertools import product as cartesian
from math import prod
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from qingmall.catalog import queries as catalog_queries
from qingmall.catalog.models import Category, Sku, Spu
from qingmall.core import clock
from qingmall.core.crypto import decrypt
from qingmall.core.security import verify_password
from qingmall.demo import data, icons, images
from qingmall.demo import seed as seed_module
from qingmall.demo.accounts import generate_password
from qingmall.demo.assets import RenderCache
from qingmall.demo.seed import (
    CREDENTIALS_FILE,
    DEFAULT_TEMPLATE_NAME,
    FRESH_TEMPLATE_NAME,
    seed_demo,
    seed_demo_shop,
)
from qingmall.inventory.models import StockMovement
from qingmall.orders.models import Order
from qingmall.payments import reconciliation
from qingmall.reviews import service as review_service
from qingmall.reviews.models import Review
from qingmall.sandbox.wechat import WeChatSandbox
from qingmall.shipping.models import ShippingTemplate
from qingmall.shoppers.address_service import PHONE_PURPOSE
from qingmall.shoppers.models import Address, Shopper
from qingmall.staff.models import Staff

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# One render of the pictures per test run: every seed after the first reuses them.
_RENDERS: RenderCache = {}


def _quiet(_: str) -> None:
    return None


async def _seed(db, *, force: bool = False, with_reviews: bool = False, echo=_quiet):
    return await seed_demo_shop(db, force=force, echo=echo, render_cache=_RENDERS, with_reviews=with_reviews)


def _file_of(settings, url: str) -> Path:
    prefix = settings.media_url_prefix.rstrip("/") + "/"
    assert url.startswith(prefix), url
    return settings.media_dir / url.removeprefix(prefix)


async def _count(session, model, *where) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


# ---- data (no database) -------------------------------------------------------------------------------


def test_ean13_check_digit_matches_published_examples():
    assert data.ean13("400638133393") == "4006381333931"
    assert data.ean13("978030640615") == "9780306406157"
    assert data.is_valid_ean13("6901234567892")
    assert not data.is_valid_ean13("6901234567893")
    with pytest.raises(ValueError):
        data.ean13("12345")


def test_demo_barcodes_are_valid_chinese_ean13_and_distinct():
    codes = {data.demo_barcode(batch, p, s) for batch in (1, 2) for p in range(len(data.PRODUCTS)) for s in range(30)}
    assert len(codes) == 2 * len(data.PRODUCTS) * 30
    assert all(code.startswith("69") and data.is_valid_ean13(code) for code in codes)


def test_assortment_is_a_believable_shop():
    tops = {top.name: top for top in data.CATEGORIES}
    per_top = Counter(data.category_of(item).name for item in data.PRODUCTS)
    assert len(data.PRODUCTS) >= 60
    assert len(tops) >= 8 and set(per_top) == set(tops)
    assert all(count >= 4 for count in per_top.values())
    assert len({item.key for item in data.PRODUCTS}) == len(data.PRODUCTS)
    assert sum(item.sold_out for item in data.PRODUCTS) >= 2
    assert sum(not item.on_shelf for item in data.PRODUCTS) >= 2
    assert any(item.max_per_order for item in data.PRODUCTS)
    children = [name for top in data.CATEGORIES for name, _ in top.children]
    assert len(children) == len(set(children))
    for item in data.PRODUCTS:
        assert item.category in children
        assert 0 < item.price <= item.original_price
        assert item.weight_grams > 0 and item.tags and len(item.highlights) >= 2
        assert data.icon_of(item) in icons.ICONS


def test_sku_matrix_is_the_full_cartesian_product_with_option_deltas():
    phone = next(item for item in data.PRODUCTS if item.key == "phone-x60-pro")
    cells = data.sku_matrix(phone)
    assert len(cells) == 9
    by_key = {cell.spec_key: cell for cell in cells}
    assert by_key["曜石黑/12GB+256GB"].price == 399900
    assert by_key["远山蓝/16GB+1TB"].price == 499900
    assert by_key["远山蓝/16GB+1TB"].original_price == 549900
    for item in data.PRODUCTS:
        cells = data.sku_matrix(item)
        expected = ["/".join(o.value for o in combo) for combo in cartesian(*(d.options for d in item.dims))]
        assert [cell.spec_key for cell in cells] == (expected if item.dims else [""])
        assert len(cells) == prod(len(d.options) for d in item.dims)
        assert all(cell.price <= cell.original_price and cell.weight_grams > 0 for cell in cells)


def test_generated_password_follows_the_staff_policy():
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) == 16
        assert any(c.isdigit() for c in password) and any(c.isalpha() for c in password)


# ---- pictures -----------------------------------------------------------------------------------------


def test_find_cjk_font_skips_missing_files_and_fonts_without_chinese():
    assert images.find_cjk_font(("/nonexistent/font.ttc",)) is None
    if Path(DEJAVU).is_file():
        assert images.find_cjk_font((DEJAVU,)) is None


def test_product_pictures_are_deterministic_and_work_without_a_font():
    item = data.PRODUCTS[0]
    first = images.encode_png(images.render_product(item, 0, font_path=None))
    again = images.encode_png(images.render_product(item, 0, font_path=None))
    gallery = images.encode_png(images.render_product(item, 1, font_path=None))
    assert first == again and first != gallery
    assert Image.open(io.BytesIO(first)).size == (800, 800)
    font = images.find_cjk_font()
    if font is not None:
        with_text = images.encode_png(images.render_product(item, 0, font_path=font))
        assert with_text != first


def test_every_icon_draws_something():
    for kind in icons.ICONS:
        canvas = Image.new("RGB", (200, 200), (0, 0, 0))
        icons.draw_icon(canvas, kind, (20, 20, 180, 180), (255, 255, 255), (10, 10, 10))
        assert canvas.convert("L").point(lambda v: 255 if v > 200 else 0).getbbox() is not None, kind


# ---- the seed -----------------------------------------------------------------------------------------


async def _assert_catalogue(session, settings, report) -> None:
    spus = (await session.scalars(select(Spu).order_by(Spu.id))).all()
    assert len(spus) == len(data.PRODUCTS) >= 60
    categories = (await session.scalars(select(Category))).all()
    tops = [c for c in categories if c.parent_id is None]
    assert len(tops) == len(data.CATEGORIES) >= 8
    assert all(c.parent_id in {t.id for t in tops} for c in categories if c.parent_id is not None)
    assert all(c.icon_url and _file_of(settings, c.icon_url).is_file() for c in categories)
    leaf_ids = {c.id for c in categories if c.parent_id is not None}
    assert {spu.category_id for spu in spus} <= leaf_ids

    skus = (await session.scalars(select(Sku))).all()
    by_spu: dict[int, list[Sku]] = {}
    for sku in skus:
        by_spu.setdefault(sku.spu_id, []).append(sku)
    for spu in spus:
        rows = by_spu[spu.id]
        expected = {"/".join(c) for c in cartesian(*(d["values"] for d in spu.spec_dimensions))}
        assert {sku.spec_key for sku in rows} == expected, spu.title
        assert all(data.is_valid_ean13(sku.barcode) and sku.barcode.startswith("69") for sku in rows)
        assert all(0 < sku.price <= sku.original_price and sku.weight_grams > 0 for sku in rows)
        assert (spu.price_min, spu.price_max) == (min(s.price for s in rows), max(s.price for s in rows))
        assert spu.search_text
        for url in [spu.main_image_url, *spu.images]:
            assert _file_of(settings, url).is_file()
            assert _file_of(settings, url.rsplit(".", 1)[0] + ".thumb.webp").is_file()
        assert [b["type"] for b in spu.detail] == ["text", "image", "text", "image", "text"]
    barcodes = [sku.barcode for sku in skus]
    assert len(set(barcodes)) == len(barcodes)
    ledger = dict((await session.execute(
        select(StockMovement.sku_id, func.sum(StockMovement.delta)).group_by(StockMovement.sku_id))).all())
    assert all(ledger.get(sku.id, 0) == sku.stock for sku in skus)

    titles = {spu.title: spu for spu in spus}
    sold_out = [spu for spu in spus if spu.is_on_shelf and not any(sku.stock for sku in by_spu[spu.id])]
    assert len(sold_out) == 2
    assert sum(not spu.is_on_shelf for spu in spus) == sum(not p.on_shelf for p in data.PRODUCTS)
    fold = titles[next(p.title for p in data.PRODUCTS if p.key == "phone-fold")]
    assert {sku.max_per_order for sku in by_spu[fold.id]} == {2}
    assert sum(spu.virtual_sales > 0 for spu in spus) == len(spus)


async def _assert_reviews(session, settings, report) -> None:
    reviews = (await session.scalars(select(Review))).all()
    assert report.review_count == len(reviews) >= 40
    assert not [note for note in report.notes if "演示订单" in note]
    assert sum(r.rating >= 4 for r in reviews) / len(reviews) >= 0.75
    assert any(r.rating <= 3 for r in reviews) and any(r.is_anonymous for r in reviews)
    assert all(r.reply_content for r in reviews if r.rating <= 3)
    assert any(r.reply_content for r in reviews if r.rating >= 4)
    photos = [url for r in reviews for url in r.photos]
    assert photos and all(_file_of(settings, url).is_file() for url in photos)
    statuses = (await session.scalars(select(Order.status).distinct())).all()
    assert statuses == ["completed"]
    top = report.product_ids["nuts-daily-mix"]
    summary = await review_service.get_review_summary(session, top)
    assert summary.review_count == 4 and summary.average_rating is not None and summary.good_rate is not None
    reviewed = {r.spu_id for r in reviews}
    sales = dict((await session.execute(select(Spu.id, Spu.sales_count))).all())
    assert all(sales[spu_id] > 0 for spu_id in reviewed)
    fresh = {report.product_ids[p.key] for p in data.PRODUCTS if data.category_of(p).name == "生鲜水果"}
    far_west = await session.scalar(select(Shopper.id).where(Shopper.nickname == "周叔叔"))
    assert not any(r.spu_id in fresh and r.shopper_id == far_west for r in reviews)
    # every demo order was really paid (from the balance the demo gives), on days spread over the last 30 (the
    # dashboard's trend has a history): each day's books reconcile
    paid_at = (await session.scalars(select(Order.paid_at))).all()
    days = sorted({clock.to_shanghai(moment).date() for moment in paid_at})
    today = clock.to_shanghai(clock.now()).date()
    assert len(days) >= 8 and (today - days[0]).days <= 30 and days[-1] <= today
    orders_paid = 0
    for day in days:
        books = await reconciliation.build_report(session, day)
        assert books.mismatches == []
        balance = next(c for c in books.channels if c.channel == "balance")
        assert (balance.payments, balance.paid_amount) == (books.orders_paid, books.orders_paid_amount)
        orders_paid += books.orders_paid
    assert orders_paid == len(paid_at) > 0


SEARCHES = {
    "手机": ({"phone-x60-pro", "phone-note13", "phone-fold", "phone-y35", "phone-elder-a5"}, set()),
    "蓝牙耳机": ({"earbuds-freebuds3", "earbuds-air-half", "earbuds-bone", "headphone-anc"}, {"earphone-typec"}),
    "坚果": (
        {"nuts-daily-mix", "nuts-pecan", "nuts-macadamia", "nuts-cashew", "nuts-pistachio"}, {"snack-dried-mango"}
    ),
}


async def _assert_search(session, report) -> None:
    for keyword, (expected_keys, forbidden_keys) in SEARCHES.items():
        page = await catalog_queries.list_products(session, keyword=keyword, limit=50)
        found = [item.id for item in page.items]
        expected = {report.product_ids[key] for key in expected_keys}
        assert expected <= set(found), keyword
        assert found[0] in expected, keyword
        assert not {report.product_ids[key] for key in forbidden_keys} & set(found), keyword


async def test_seed_creates_a_searchable_reviewed_shop_once(db, session, settings):
    report = await _seed(db, with_reviews=True)
    assert report is not None

    await _assert_catalogue(session, settings, report)
    await _assert_reviews(session, settings, report)
    await _assert_search(session, report)

    await session.rollback()  # on SQLite an open read transaction holds the write lock
    again = await seed_demo(db, echo=_quiet)
    assert again is False
    assert await _count(session, Spu) == len(data.PRODUCTS)
    assert await _count(session, Category) == len(report.category_ids)
    assert await _count(session, Staff) == len(data.DEMO_STAFF)


async def test_seed_creates_accounts_shoppers_and_shipping_templates(db, session, settings):
    printed: list[str] = []
    report = await _seed(db, echo=printed.append)
    assert report is not None

    assert report.credentials_path == settings.data_dir / CREDENTIALS_FILE
    path = report.credentials_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = {line.split("\t")[0]: line.split("\t") for line in path.read_text("utf-8").splitlines() if "\t" in line}
    assert set(lines) == {username for username, _, _ in data.DEMO_STAFF}
    staff = {s.username: s for s in (await session.scalars(select(Staff))).all()}
    for username, role, _ in data.DEMO_STAFF:
        password = lines[username][1]
        assert staff[username].role == role
        assert verify_password(password, staff[username].password_hash)
        assert password not in Path(data.__file__).read_text("utf-8")
        assert sum(password in line for line in printed) == 1

    sandbox = WeChatSandbox(appid=settings.wechat_appid, secret=settings.wechat_secret)
    for person in data.SHOPPERS:
        login = sandbox.code_to_session(
            appid=settings.wechat_appid, secret=settings.wechat_secret, js_code=f"demo-{person.key}-x",
            grant_type="authorization_code",
        )
        shopper = await session.scalar(select(Shopper).where(Shopper.openid == login["openid"]))
        assert shopper is not None and shopper.nickname == person.nickname
        assert shopper.phone_masked == person.phone[:3] + "****" + person.phone[-4:]
        addresses = (await session.scalars(select(Address).where(Address.shopper_id == shopper.id))).all()
        assert len(addresses) == 1 + len(person.extra_addresses)
        default = next(a for a in addresses if a.is_default)
        assert (default.province_code, default.city_code, default.district_code) == (
            person.province_code, person.city_code, person.district_code)
        assert decrypt(default.phone_cipher, purpose=PHONE_PURPOSE) == person.phone
    shanghai = await session.scalar(select(Address).where(Address.district_code == "310104"))
    assert (shanghai.province, shanghai.city, shanghai.district) == ("上海市", "上海市", "徐汇区")

    templates = {t.name: t for t in (await session.scalars(select(ShippingTemplate))).all()}
    default, fresh = templates[DEFAULT_TEMPLATE_NAME], templates[FRESH_TEMPLATE_NAME]
    assert default.is_default and default.charge_by == "piece"
    assert fresh.charge_by == "weight" and set(fresh.unshippable_regions) == {"650000", "540000"}
    far_west = next(rule for rule in default.region_rules if "650000" in rule["regions"])
    assert far_west["first_fee"] > default.default_rule["first_fee"]
    fresh_ids = {report.product_ids[p.key] for p in data.PRODUCTS if data.category_of(p).name == "生鲜水果"}
    rows = (await session.execute(select(Spu.id, Spu.shipping_template_id))).all()
    assert {spu_id for spu_id, template_id in rows if template_id == fresh.id} == fresh_ids


async def test_seeded_banners_and_shortcuts_are_on_the_home_page(db, session, settings, client):
    report = await _seed(db)
    assert report is not None and report.assets is not None

    home = (await client.get("/api/v1/home")).json()

    assert home["banners"] == [
        {
            "id": report.banner_ids[b.key],
            "title": b.headline,
            "caption": b.caption,
            "image_url": report.assets.banners[b.key].url,
            "thumbnail_url": report.assets.banners[b.key].thumbnail_url,
            "link_type": "category",
            "link_value": str(report.category_ids[b.link_category]),
        }
        for b in data.BANNERS
    ]
    for banner in home["banners"]:
        assert _file_of(settings, banner["image_url"]).is_file()
        assert _file_of(settings, banner["thumbnail_url"]).is_file()
    assert [(s["category_id"], s["name"]) for s in home["shortcuts"]] == [
        (report.category_ids[top.name], top.name) for top in data.CATEGORIES[:10]
    ]
    assert all(_file_of(settings, s["icon_url"]).is_file() for s in home["shortcuts"])
    manifest = json.loads((settings.data_dir / seed_module.MANIFEST_FILE).read_text("utf-8"))
    assert [b["id"] for b in manifest["banners"]] == [b["id"] for b in home["banners"]]

    # a forced seed reuses the banners instead of adding them again
    again = await _seed(db, force=True)
    assert again is not None and again.banner_ids == report.banner_ids
    assert len((await client.get("/api/v1/home")).json()["banners"]) == len(data.BANNERS)


async def test_the_demo_earbuds_have_a_playable_product_video(db, session, settings, client):
    await _seed(db)
    found = (await client.get("/api/v1/products", params={"keyword": "FreeBuds"})).json()["items"]
    product = (await client.get(f"/api/v1/products/{found[0]['id']}")).json()

    assert product["video_url"].startswith("/media/videos/") and product["video_url"].endswith(".mp4")
    served = await client.get(product["video_url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "video/mp4"
    assert served.content[4:8] == b"ftyp"  # an MP4 box header


async def test_force_adds_the_catalogue_again_and_keeps_accounts(db, session, settings):
    first = await _seed(db)
    assert first is not None
    path = settings.data_dir / CREDENTIALS_FILE
    original = path.read_text("utf-8")
    owner_hash = await session.scalar(select(Staff.password_hash).where(Staff.username == "demo_owner"))
    await session.rollback()  # on SQLite an open read transaction holds the write lock

    second = await _seed(db, force=True, with_reviews=True)

    assert second is not None and second.batch == 2 and second.accounts == [] and second.review_count > 0
    assert await _count(session, Spu) == 2 * len(data.PRODUCTS)
    assert await _count(session, Category) == len(first.category_ids)
    assert await _count(session, Staff) == len(data.DEMO_STAFF)
    assert await _count(session, Shopper) == len(data.SHOPPERS)
    assert await _count(session, ShippingTemplate) == 2
    assert await session.scalar(select(Staff.password_hash).where(Staff.username == "demo_owner")) == owner_hash
    barcodes = (await session.scalars(select(Sku.barcode))).all()
    assert len(set(barcodes)) == len(barcodes)
    assert path.read_text("utf-8").startswith(original)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_seed_that_fails_half_way_is_not_taken_for_a_finished_one(db, session, monkeypatch):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(seed_module, "seed_shoppers", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        await _seed(db)
    assert not await seed_module.is_seeded(session)
    assert await _count(session, Staff) == 0
    await session.rollback()  # on SQLite an open read transaction holds the write lock

    monkeypatch.undo()
    report = await _seed(db)

    assert report is not None and await seed_module.is_seeded(session)
    assert {username for username, _, _ in report.accounts} == {username for username, _, _ in data.DEMO_STAFF}
