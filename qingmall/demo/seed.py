"""Create the demo shop: categories, products with SKU matrices and pictures, shipping templates,
home-page banners, shoppers with addresses, reviewed orders, and one staff account per role.

Everything is written through the owning areas' services (``catalog.service.create_product`` keeps
the search index and stock ledger right, ``staff.service.create_staff`` enforces the password policy,
``shoppers.address_service`` encrypts phones, ``shipping.service`` validates templates, ``content.service``
checks banner images and links), so the demo
data obeys the same rules as data a merchant types in.

Seeded once: the ``demo_owner`` staff account is the marker, created last, so a seed that failed half
way is not mistaken for a finished one (run it again). ``force=True`` adds the product catalogue again
as new products; categories, templates, banners, shoppers and staff accounts that already exist are reused, and
existing accounts keep their passwords. Passwords are random per seed, never in the source: they are
printed once and written to ``<data_dir>/demo-credentials.txt`` (mode 0600).
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog import service as catalog_service
from qingmall.catalog.models import Category, Spu
from qingmall.catalog.schemas import CategoryCreate, ProductCreate
from qingmall.content import service as content_service
from qingmall.content.models import Banner
from qingmall.content.schemas import BannerCreate
from qingmall.core import clock
from qingmall.core.crypto import encrypt, mask_phone, phone_hash
from qingmall.core.db import Database
from qingmall.core.storage import Storage, get_storage
from qingmall.demo import data
from qingmall.demo.accounts import CREDENTIALS_FILE, seed_staff, write_credentials
from qingmall.demo.assets import DemoAssets, RenderCache, build_assets
from qingmall.demo.data import DemoProduct, category_of, demo_barcode, sku_matrix
from qingmall.demo.reviews import seed_reviews
from qingmall.settings import get_settings
from qingmall.shipping import service as shipping_service
from qingmall.shipping.models import ShippingTemplate
from qingmall.shipping.schemas import ShippingTemplateCreate
from qingmall.shoppers import address_service
from qingmall.shoppers.auth_service import PHONE_PURPOSE as SHOPPER_PHONE_PURPOSE
from qingmall.shoppers.models import Shopper
from qingmall.shoppers.schemas import AddressCreate
from qingmall.staff.models import Staff
from qingmall.staff.permissions import ROLES

MANIFEST_FILE = "demo-shop.json"
DEFAULT_TEMPLATE_NAME = "全国包邮（偏远地区除外）"
FRESH_TEMPLATE_NAME = "生鲜冷链（按重量计费）"
FRESH_CATEGORY = "生鲜水果"

Echo = Callable[[str], None]

__all__ = [
    "CREDENTIALS_FILE", "SchemaMissing", "SeedReport", "is_seeded", "seed_banners", "seed_categories", "seed_demo",
    "seed_demo_shop", "seed_products", "seed_reviews", "seed_shipping_templates", "seed_shoppers", "seed_staff",
]


@dataclass
class SeedReport:
    """What one run created; ``accounts`` holds (username, role, password) of accounts made this run."""

    batch: int
    category_ids: dict[str, int] = field(default_factory=dict)
    product_ids: dict[str, int] = field(default_factory=dict)
    template_ids: dict[str, int] = field(default_factory=dict)
    banner_ids: dict[str, int] = field(default_factory=dict)
    shopper_ids: dict[str, int] = field(default_factory=dict)
    review_count: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    credentials_path: Path | None = None
    assets: DemoAssets | None = None
    notes: list[str] = field(default_factory=list)


async def is_seeded(session: AsyncSession) -> bool:
    """True once a seed has finished: the demo owner account exists."""
    return await session.scalar(select(Staff.id).where(Staff.username == data.OWNER_USERNAME)) is not None


async def seed_demo(database: Database, force: bool = False, *, storage: Storage | None = None,
                    echo: Echo = print) -> bool:
    """Create the demo shop unless it exists (``False``, nothing done); ``force`` adds the catalogue again."""
    return await seed_demo_shop(database, force=force, storage=storage, echo=echo) is not None


async def seed_demo_shop(database: Database, *, force: bool = False, storage: Storage | None = None,
                         echo: Echo = print, render_cache: RenderCache | None = None,
                         with_reviews: bool = True) -> SeedReport | None:
    """``seed_demo`` with the details of what was made. ``render_cache`` lets repeated seeds in one
    process (tests) reuse the rendered pictures; ``with_reviews=False`` skips the reviewed orders."""
    await _check_schema(database)
    async with database.sessionmaker() as session:
        seeded_before = await is_seeded(session)
        if seeded_before and not force:
            return None
        batch = await _next_batch(session)
    storage = storage or get_storage()
    report = SeedReport(batch=batch)
    report.assets = await build_assets(storage, cache=render_cache)
    if not report.assets.has_cjk_font:
        report.notes.append("未找到中文字体，商品图未绘制文字（安装 fonts-wqy-microhei 后重新生成即可）")
    async with database.sessionmaker() as session:
        report.category_ids = await seed_categories(session, report.assets)
        report.template_ids = await seed_shipping_templates(session)
        report.product_ids = await seed_products(session, report, batch)
        report.banner_ids = await seed_banners(session, report)
        report.shopper_ids = await seed_shoppers(session, report.assets)
        report.accounts = await seed_staff(session, owner=False)
        if with_reviews:
            report.review_count = await seed_reviews(session, report, storage)
        report.accounts += await seed_staff(session, owner=True)
    report.credentials_path = write_credentials(report.accounts, append=seeded_before)
    write_manifest(report)
    _announce(report, echo)
    return report


class SchemaMissing(RuntimeError):
    """The database has no tables yet: ``qingmall migrate`` must run first (``serve`` does it itself)."""


async def _check_schema(database: Database) -> None:
    needed = {"staff", "spus", "skus", "categories", "shoppers", "shipping_templates", "orders", "reviews", "banners"}
    async with database.engine.connect() as connection:
        present = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    missing = sorted(needed - present)
    if missing:
        raise SchemaMissing(f"数据库缺少数据表 {', '.join(missing)}：请先运行 qingmall migrate")


async def _next_batch(session: AsyncSession) -> int:
    """1 for the first seed; n+1 once the catalogue has been added n times (varies the barcodes)."""
    count = await session.scalar(select(func.count()).select_from(Spu).where(Spu.title == data.PRODUCTS[0].title))
    return int(count or 0) + 1


# ---- catalogue -------------------------------------------------------------------------------------


async def _find_category(session: AsyncSession, name: str, parent_id: int | None) -> Category | None:
    parent = Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id
    return (await session.scalars(select(Category).where(Category.name == name, parent).limit(1))).first()


async def seed_categories(session: AsyncSession, assets: DemoAssets) -> dict[str, int]:
    """The two-level tree of ``data.CATEGORIES``; existing categories (same name and parent) are reused."""
    ids: dict[str, int] = {}
    for top_order, top in enumerate(data.CATEGORIES):
        parent = await _find_category(session, top.name, None) or await catalog_service.create_category(
            session, CategoryCreate(name=top.name, icon_url=assets.category_icons[top.name].url, sort_order=top_order)
        )
        ids[top.name] = parent.id
        for order, (name, _) in enumerate(top.children):
            child = await _find_category(session, name, parent.id) or await catalog_service.create_category(
                session,
                CategoryCreate(name=name, parent_id=parent.id, icon_url=assets.category_icons[name].url,
                               sort_order=order),
            )
            ids[name] = child.id
    return ids


def _weight_text(grams: int) -> str:
    return f"{grams / 1000:g}kg" if grams >= 1000 else f"{grams}g"


def _detail(item: DemoProduct, main_url: str, gallery_url: str) -> list[dict[str, str]]:
    highlights = "\n".join(f"{n}. {text}" for n, text in enumerate(item.highlights, start=1))
    specs = [f"{d.name}：{'、'.join(o.value for o in d.options)}" for d in item.dims]
    specs.append(f"重量：约{_weight_text(item.weight_grams)}（以所选规格为准）")
    return [
        {"type": "text", "text": f"【商品亮点】\n{highlights}"},
        {"type": "image", "url": main_url},
        {"type": "text", "text": "【规格参数】\n" + "\n".join(specs)},
        {"type": "image", "url": gallery_url},
        {"type": "text", "text": f"【购买须知】\n{category_of(item).service_note}"},
    ]


def product_payload(item: DemoProduct, index: int, batch: int, category_id: int,
                    template_id: int | None, assets: DemoAssets) -> ProductCreate:
    """The ``ProductCreate`` for one demo product: full SKU matrix, deterministic stock and barcodes.

    Larger matrices have one combination out of stock (as real shops do); sold-out products have none.
    """
    rng = random.Random(zlib.crc32(f"stock/{item.key}".encode()))
    cells = sku_matrix(item)
    empty_cell = rng.randrange(len(cells)) if len(cells) >= 8 else -1
    skus = []
    for n, cell in enumerate(cells):
        stock = 0 if item.sold_out or n == empty_cell else rng.randint(item.stock // 2, item.stock * 3 // 2)
        skus.append({
            "spec_values": list(cell.spec_values), "price": cell.price, "original_price": cell.original_price,
            "weight_grams": cell.weight_grams, "barcode": demo_barcode(batch, index, n), "stock": stock,
            "max_per_order": item.max_per_order,
        })
    main, gallery = assets.product_main[item.key], assets.product_gallery[item.key]
    return ProductCreate.model_validate({
        "category_id": category_id,
        "title": item.title,
        "subtitle": item.subtitle,
        "main_image_url": main.url,
        "images": [main.url, gallery.url],
        "video_url": assets.product_videos.get(item.key, ""),
        "detail": _detail(item, main.url, gallery.url),
        "spec_dimensions": [{"name": d.name, "values": [o.value for o in d.options]} for d in item.dims],
        "tags": list(item.tags),
        "shipping_template_id": template_id,
        "sort_weight": item.sort_weight,
        "virtual_sales": item.virtual_sales,
        "skus": skus,
        "is_on_shelf": item.on_shelf,
    })


async def seed_products(session: AsyncSession, report: SeedReport, batch: int) -> dict[str, int]:
    """Every product of ``data.PRODUCTS`` through ``catalog.service.create_product`` (one commit each)."""
    assert report.assets is not None
    ids: dict[str, int] = {}
    for index, item in enumerate(data.PRODUCTS):
        template_id = report.template_ids.get("fresh") if category_of(item).name == FRESH_CATEGORY else None
        payload = product_payload(
            item, index, batch, report.category_ids[item.category], template_id, report.assets
        )
        spu = await catalog_service.create_product(session, payload, staff_id=None)
        ids[item.key] = spu.id
    return ids


# ---- home page -------------------------------------------------------------------------------------


async def seed_banners(session: AsyncSession, report: SeedReport) -> dict[str, int]:
    """The home-page banners of ``data.BANNERS`` in order, each linking to its category, through
    ``content.service.create_banner``; a banner with the same title is reused (a forced seed adds none)."""
    assert report.assets is not None
    ids: dict[str, int] = {}
    for order, banner in enumerate(data.BANNERS):
        existing = await session.scalar(select(Banner.id).where(Banner.title == banner.headline).order_by(Banner.id))
        if existing is not None:
            ids[banner.key] = existing
            continue
        payload = BannerCreate(
            title=banner.headline,
            caption=banner.caption,
            image_url=report.assets.banners[banner.key].url,
            link_type="category",
            link_value=str(report.category_ids[banner.link_category]),
            sort_order=order,
        )
        created = await content_service.create_banner(session, payload)
        ids[banner.key] = created.id
    return ids


# ---- shipping --------------------------------------------------------------------------------------

REMOTE_NORTHWEST = ["150000", "620000", "630000", "640000"]  # 内蒙古 甘肃 青海 宁夏
FAR_WEST = ["650000", "540000"]  # 新疆 西藏


def shipping_template_payloads() -> dict[str, ShippingTemplateCreate]:
    """Two templates: free shipping by piece except remote regions (the shop default), and fresh food
    by weight, cheaper near the warehouse (江浙沪) and not shipped to 新疆/西藏 at all."""
    return {
        "default": ShippingTemplateCreate.model_validate({
            "name": DEFAULT_TEMPLATE_NAME,
            "charge_by": "piece",
            "default_rule": {"first_units": 1, "first_fee": 0, "additional_units": 1, "additional_fee": 0},
            "region_rules": [
                {"regions": REMOTE_NORTHWEST, "first_units": 1, "first_fee": 1000,
                 "additional_units": 1, "additional_fee": 500},
                {"regions": FAR_WEST, "first_units": 1, "first_fee": 2000,
                 "additional_units": 1, "additional_fee": 1000},
            ],
            "free_rules": [{"regions": REMOTE_NORTHWEST + FAR_WEST, "min_amount": 29900}],
            "is_default": True,
        }),
        "fresh": ShippingTemplateCreate.model_validate({
            "name": FRESH_TEMPLATE_NAME,
            "charge_by": "weight",
            "default_rule": {"first_units": 1000, "first_fee": 1200, "additional_units": 1000, "additional_fee": 600},
            "region_rules": [
                {"regions": ["310000", "320000", "330000"], "first_units": 1000, "first_fee": 800,
                 "additional_units": 1000, "additional_fee": 300},
            ],
            "free_rules": [{"regions": [], "min_amount": 19900}],
            "unshippable_regions": FAR_WEST,
        }),
    }


async def seed_shipping_templates(session: AsyncSession) -> dict[str, int]:
    """Create the demo shipping templates unless templates of those names exist. The default template
    becomes the shop default only when the shop has none yet (a merchant's own default is kept)."""
    ids: dict[str, int] = {}
    has_default = await session.scalar(select(ShippingTemplate.id).where(ShippingTemplate.is_default.is_(True)))
    for kind, payload in shipping_template_payloads().items():
        existing = await session.scalar(
            select(ShippingTemplate.id).where(ShippingTemplate.name == payload.name).order_by(ShippingTemplate.id)
        )
        if existing is not None:
            ids[kind] = existing
            continue
        if payload.is_default and has_default is not None:
            payload = payload.model_copy(update={"is_default": False})
        ids[kind] = (await shipping_service.create_template(session, payload)).id
    return ids


# ---- shoppers --------------------------------------------------------------------------------------


def sandbox_openid(key: str, appid: str | None = None) -> tuple[str, str]:
    """The (openid, unionid) the WeChat sandbox gives for login code ``demo-<key>`` / ``demo-<key>-x``."""
    from qingmall.sandbox.wechat import demo_identity

    appid = appid or get_settings().wechat_appid
    return demo_identity(appid, key)


async def seed_shoppers(session: AsyncSession, assets: DemoAssets) -> dict[str, int]:
    """Demo shoppers (bound to their sandbox openid and phone) with addresses; existing ones are reused.

    There is no shoppers-area service that creates a shopper outside a login, so the row is inserted
    here with the phone encrypted exactly as ``shoppers.auth_service`` does; addresses go through
    ``shoppers.address_service.create_address``.
    """
    ids: dict[str, int] = {}
    for person in data.SHOPPERS:
        openid, unionid = sandbox_openid(person.key)
        existing = await session.scalar(select(Shopper).where(Shopper.openid == openid))
        if existing is not None:
            ids[person.key] = existing.id
            continue
        index = phone_hash(person.phone)
        phone_taken = await session.scalar(select(Shopper.id).where(Shopper.phone_hash == index))
        shopper = Shopper(
            openid=openid, unionid=unionid, nickname=person.nickname, avatar_url=assets.avatars[person.key].url,
            last_login_at=clock.now(),
        )
        if phone_taken is None:
            shopper.phone_hash = index
            shopper.phone_cipher = encrypt(person.phone, purpose=SHOPPER_PHONE_PURPOSE)
            shopper.phone_masked = mask_phone(person.phone)
        session.add(shopper)
        await session.commit()
        ids[person.key] = shopper.id
        addresses = [(person.province_code, person.city_code, person.district_code, person.detail,
                      person.postal_code, person.tag), *person.extra_addresses]
        for number, (province, city, district, detail, postal_code, tag) in enumerate(addresses):
            await address_service.create_address(session, shopper.id, AddressCreate(
                recipient_name=person.recipient, phone=person.phone, province_code=province, city_code=city,
                district_code=district, detail=detail, postal_code=postal_code, tag=tag, is_default=number == 0,
            ))
    return ids


# ---- summary ---------------------------------------------------------------------------------------


def write_manifest(report: SeedReport) -> Path:
    """``<data_dir>/demo-shop.json``: banner pictures and the ids made, for front ends and docs."""
    assert report.assets is not None
    path = get_settings().data_dir / MANIFEST_FILE
    banners = [
        {"id": report.banner_ids.get(b.key), "title": b.headline, "caption": b.caption,
         "image_url": report.assets.banners[b.key].url,
         "thumbnail_url": report.assets.banners[b.key].thumbnail_url,
         "category_id": report.category_ids.get(b.link_category)}
        for b in data.BANNERS
    ]
    body = {
        "batch": report.batch, "banners": banners, "categories": report.category_ids,
        "products": report.product_ids, "shipping_templates": report.template_ids,
        "shoppers": report.shopper_ids,
    }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _announce(report: SeedReport, echo: Echo) -> None:
    echo(f"演示店铺已创建：{len(report.category_ids)} 个类目，{len(report.product_ids)} 个商品，"
         f"{len(report.banner_ids)} 张首页轮播图，{len(report.shopper_ids)} 位顾客，{report.review_count} 条评价")
    for username, role, password in report.accounts:
        echo(f"  员工账号 {username}（{ROLES[role]['label']}） 密码：{password}")
    if report.credentials_path is not None:
        echo(f"  账号与密码已保存到 {report.credentials_path}（仅本机用户可读），此后不再显示。")
    for note in report.notes:
        echo(f"  注意：{note}")
