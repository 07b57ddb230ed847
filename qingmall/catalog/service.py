"""Product rules: create and edit a product with its SKU matrix, shelve it, keep its summary fields true.

Stock is set only when a SKU is created (and ledgered by ``inventory.service.set_initial_stock``); every
later change goes through the inventory service. SKUs are never deleted, because orders point at them:
a combination dropped from the specs is disabled, and comes back (same row, same id) if re-added.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from qingmall.catalog.cache import invalidate_catalog
from qingmall.catalog.categories import category_path
from qingmall.catalog.categories import create_category as create_category
from qingmall.catalog.matrix import validate_sku_matrix
from qingmall.catalog.models import Category, Sku, Spu
from qingmall.catalog.schemas import BulkShelfResult, ProductCreate, ProductFields, ProductUpdate, SkuFields
from qingmall.core.errors import Conflict, InvalidInput, NotFound
from qingmall.core.search import index_text
from qingmall.inventory import service as inventory_service
from qingmall.shipping.models import ShippingTemplate

__all__ = [
    "create_category", "create_product", "get_spu", "refresh_spu", "reindex_all", "set_on_shelf",
    "set_shelf_bulk", "update_product",
]

_SKU_FIELDS = ("price", "original_price", "weight_grams", "barcode", "image_url", "max_per_order", "is_enabled")


async def get_spu(session: AsyncSession, spu_id: int) -> Spu:
    spu = await session.get(Spu, spu_id)
    if spu is None:
        raise NotFound("商品不存在", code="product_not_found")
    return spu


async def _check_references(session: AsyncSession, data: ProductFields) -> None:
    if await session.get(Category, data.category_id) is None:
        raise InvalidInput("类目不存在", code="category_not_found", details={"category_id": data.category_id})
    if data.shipping_template_id is not None and await session.get(ShippingTemplate, data.shipping_template_id) is None:
        raise InvalidInput(
            "运费模板不存在", code="shipping_template_not_found",
            details={"shipping_template_id": data.shipping_template_id},
        )


def _check_sellable(on_shelf: bool, skus: Sequence[SkuFields]) -> None:
    if on_shelf and not any(sku.is_enabled for sku in skus):
        raise InvalidInput("上架的商品至少需要一个启用的规格", code="product_has_no_enabled_sku")


def _content(data: ProductFields) -> dict[str, object]:
    """The SPU columns an edit sets; the main image defaults to the first image."""
    return {
        "category_id": data.category_id,
        "title": data.title,
        "subtitle": data.subtitle,
        "main_image_url": data.main_image_url or (data.images[0] if data.images else ""),
        "images": list(data.images),
        "video_url": data.video_url,
        "detail": [block.model_dump() for block in data.detail],
        "spec_dimensions": [d.model_dump() for d in data.spec_dimensions],
        "tags": list(data.tags),
        "shipping_template_id": data.shipping_template_id,
        "sort_weight": data.sort_weight,
        "virtual_sales": data.virtual_sales,
    }


async def create_product(session: AsyncSession, data: ProductCreate, staff_id: int | None) -> Spu:
    """Create an SPU and its SKU matrix with initial stock (ledgered); commits and returns the SPU."""
    await _check_references(session, data)
    keys = validate_sku_matrix(data.spec_dimensions, data.skus)
    _check_sellable(data.is_on_shelf, data.skus)
    spu = Spu(**_content(data), is_on_shelf=data.is_on_shelf)
    session.add(spu)
    await session.flush()
    skus = [
        Sku(
            spu_id=spu.id, spec_values=list(item.spec_values), spec_key=key, stock=item.stock,
            **{field: getattr(item, field) for field in _SKU_FIELDS},
        )
        for key, item in zip(keys, data.skus, strict=True)
    ]
    session.add_all(skus)
    await session.flush()
    for sku in skus:
        await inventory_service.set_initial_stock(session, sku, staff_id=staff_id)
    await refresh_spu(session, spu.id)
    await session.commit()
    await invalidate_catalog()
    return spu


async def update_product(session: AsyncSession, spu_id: int, data: ProductUpdate, staff_id: int | None) -> Spu:
    """Replace a product's content and reconcile its SKUs by spec key; commits.

    Existing combinations keep their row (id, stock, sales) and take the new price and flags; new ones
    start with zero stock; combinations no longer in the matrix are disabled, never deleted.
    """
    spu = await get_spu(session, spu_id)
    await _check_references(session, data)
    keys = validate_sku_matrix(data.spec_dimensions, data.skus)
    _check_sellable(spu.is_on_shelf, data.skus)
    existing = {sku.spec_key: sku for sku in (await session.scalars(select(Sku).where(Sku.spu_id == spu_id))).all()}
    for key, item in zip(keys, data.skus, strict=True):
        fields = {field: getattr(item, field) for field in _SKU_FIELDS}
        sku = existing.pop(key, None)
        if sku is None:
            session.add(Sku(spu_id=spu_id, spec_values=list(item.spec_values), spec_key=key, stock=0, **fields))
            continue
        sku.spec_values = list(item.spec_values)
        for field, value in fields.items():
            setattr(sku, field, value)
    for removed in existing.values():
        removed.is_enabled = False
    for field, value in _content(data).items():
        setattr(spu, field, value)
    try:
        await refresh_spu(session, spu_id)
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("商品正在被其他人修改，请刷新后重试", code="product_edit_conflict") from exc
    await invalidate_catalog()
    return spu


async def set_shelf_bulk(session: AsyncSession, ids: Sequence[int], on_shelf: bool) -> BulkShelfResult:
    """Put products on or off the shelf in one conditional UPDATE; commits.

    Going on the shelf needs at least one enabled SKU; products without one (or unknown ids) are skipped
    and reported, the others are changed.
    """
    wanted = sorted(set(ids))
    statement = update(Spu).where(Spu.id.in_(wanted))
    if on_shelf:
        statement = statement.where(exists().where(Sku.spu_id == Spu.id, Sku.is_enabled.is_(True)))
    statement = (
        statement.values(is_on_shelf=on_shelf).returning(Spu.id).execution_options(synchronize_session=False)
    )
    updated = sorted((await session.scalars(statement)).all())
    await session.commit()
    await invalidate_catalog()
    return BulkShelfResult(updated_ids=updated, skipped_ids=[i for i in wanted if i not in set(updated)])


async def set_on_shelf(session: AsyncSession, spu_id: int, on_shelf: bool) -> Spu:
    """Put one product on or off the shelf; 404 if unknown, 422 if it has nothing to sell. Commits."""
    result = await set_shelf_bulk(session, [spu_id], on_shelf)
    if not result.updated_ids:
        await get_spu(session, spu_id)
        raise InvalidInput("上架的商品至少需要一个启用的规格", code="product_has_no_enabled_sku")
    spu = await session.get(Spu, spu_id, populate_existing=True)
    assert spu is not None
    return spu


async def refresh_spu(session: AsyncSession, spu_id: int) -> None:
    """Recompute an SPU's summary from its enabled SKUs, and its search text. Does NOT commit.

    ``price_min``/``price_max``/``original_price_min`` come from one UPDATE with subqueries (no
    read-then-write). Stock is not summarised here: pages read it live from the SKUs, which change with
    every order. ``search_text`` is written only when it changed. Callers: this service, the demo seed.
    """
    await session.flush()
    row = (
        await session.execute(
            select(Spu.title, Spu.subtitle, Spu.tags, Spu.category_id, Spu.search_text).where(Spu.id == spu_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("商品不存在", code="product_not_found")
    path = await category_path(session, row.category_id)
    text = index_text(row.title, row.subtitle, *row.tags, *(ref.name for ref in path))
    enabled = and_(Sku.spu_id == spu_id, Sku.is_enabled.is_(True))
    cheapest_original = (
        select(Sku.original_price).where(enabled).order_by(Sku.price, Sku.original_price).limit(1).scalar_subquery()
    )
    values: dict[str, object] = {
        "price_min": func.coalesce(select(func.min(Sku.price)).where(enabled).scalar_subquery(), 0),
        "price_max": func.coalesce(select(func.max(Sku.price)).where(enabled).scalar_subquery(), 0),
        "original_price_min": func.coalesce(cheapest_original, 0),
    }
    if text != row.search_text:
        values["search_text"] = text
    await session.execute(
        update(Spu).where(Spu.id == spu_id).values(**values).execution_options(synchronize_session=False)
    )
    loaded = session.identity_map.get(identity_key(Spu, spu_id))
    if loaded is not None:
        await session.refresh(loaded)


async def reindex_all(session: AsyncSession, batch_size: int = 200) -> int:
    """Recompute every SPU's summary and search text (after a dictionary change); commits per batch."""
    last_id, count = 0, 0
    while True:
        ids = (
            await session.scalars(select(Spu.id).where(Spu.id > last_id).order_by(Spu.id).limit(batch_size))
        ).all()
        if not ids:
            await session.commit()  # end the read transaction (on SQLite it holds the write lock)
            return count
        for spu_id in ids:
            await refresh_spu(session, spu_id)
        await session.commit()
        count += len(ids)
        last_id = ids[-1]
