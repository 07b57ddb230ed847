"""Catalog reads: the shopper's product list and search, product pages, the merchant's product list.

The list is the hottest read of the shop: one query per page selects only card columns (the category
filter is a recursive CTE inside it, not a second round trip), ordered by an indexed key and paged by
keyset. The cursor names the sort (and, for a search, whether terms were AND-ed or OR-ed), so a cursor
from one listing can never be misread by another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.categories import category_path
from qingmall.catalog.matrix import expected_spec_keys
from qingmall.catalog.models import Category, Sku, Spu
from qingmall.catalog.schemas import (
    ProductAdminDetail,
    ProductAdminListItem,
    ProductDetail,
    ProductListItem,
    ProductSort,
    SkuAdmin,
    SkuPublic,
)
from qingmall.core.errors import InvalidInput, NotFound
from qingmall.core.pagination import Page, cursor_id, cursor_int, cursor_time, decode_cursor, encode_cursor
from qingmall.core.search import query_groups, text_match
from qingmall.core.storage import thumbnail_url

# Stock changes with every order, so "in stock" is read live from the SKUs (one indexed EXISTS per card).
_IN_STOCK = (
    exists()
    .where(Sku.spu_id == Spu.id, Sku.is_enabled.is_(True), Sku.stock > 0)
    .correlate(Spu)
    .label("in_stock")
)
_CARD_COLUMNS = (
    Spu.id, Spu.title, Spu.subtitle, Spu.main_image_url, Spu.price_min, Spu.price_max, Spu.original_price_min,
    Spu.sales_count, Spu.virtual_sales, Spu.tags, _IN_STOCK, Spu.sort_weight, Spu.created_at,
)
_SALES = Spu.sales_count + Spu.virtual_sales


@dataclass(frozen=True)
class _Key:
    """One column of a keyset ordering; ``kind`` says how its cursor value is checked."""

    expression: Any
    descending: bool
    kind: str  # "id" | "int" | "float" | "datetime"
    attribute: str


def _sort_keys(sort: str, score: ColumnElement[float] | None) -> list[_Key]:
    if score is not None and sort == "default":
        return [_Key(score, False, "float", "score"), _Key(Spu.id, True, "id", "id")]
    return {
        "default": [
            _Key(Spu.sort_weight, True, "int", "sort_weight"),
            _Key(_SALES, True, "int", "sales"),
            _Key(Spu.id, True, "id", "id"),
        ],
        "sales": [_Key(_SALES, True, "int", "sales"), _Key(Spu.id, True, "id", "id")],
        "price_asc": [_Key(Spu.price_min, False, "int", "price_min"), _Key(Spu.id, False, "id", "id")],
        "price_desc": [_Key(Spu.price_min, True, "int", "price_min"), _Key(Spu.id, True, "id", "id")],
        "newest": [_Key(Spu.created_at, True, "datetime", "created_at"), _Key(Spu.id, True, "id", "id")],
    }[sort]


def _row_value(row: Any, key: _Key) -> Any:
    if key.attribute == "sales":
        return row.sales_count + row.virtual_sales
    value = getattr(row, key.attribute)
    return value.isoformat() if key.kind == "datetime" else value


def _cursor_value(value: Any, kind: str) -> Any:
    """A cursor value of the expected type and range, or ``invalid_cursor`` (a tampered cursor is a 422, not
    a 500): ids 1..2**62, sort values within BIGINT, times aware and in 2000..2200, scores finite."""
    if kind == "id":
        return cursor_id(value)
    if kind == "int":
        return cursor_int(value)
    if kind == "datetime":
        return cursor_time(value)
    if kind == "float" and type(value) in (int, float) and math.isfinite(value):
        return float(value)
    raise InvalidInput("分页游标无效", code="invalid_cursor")


def _after(keys: list[_Key], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the ordering ``keys`` (any mix of directions)."""
    clauses = []
    for i, key in enumerate(keys):
        step = key.expression < values[i] if key.descending else key.expression > values[i]
        clauses.append(and_(*[keys[j].expression == values[j] for j in range(i)], step))
    return or_(*clauses)


def _decode(cursor: str | None, tag: str | None, keys_for: dict[str, list[_Key]]) -> tuple[str | None, list[Any]]:
    """``(mode, values)`` from a cursor whose first element is ``"<sort>:<mode>"``."""
    if not cursor:
        return None, []
    raw = decode_cursor(cursor, len(next(iter(keys_for.values()))) + 1)
    assert raw is not None
    head = raw[0]
    if not isinstance(head, str) or ":" not in head:
        raise InvalidInput("分页游标无效", code="invalid_cursor")
    sort, _, mode = head.partition(":")
    if sort != tag or mode not in keys_for:
        raise InvalidInput("分页游标无效", code="invalid_cursor")
    return mode, [_cursor_value(v, k.kind) for v, k in zip(raw[1:], keys_for[mode], strict=True)]


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _descendants(category_id: int) -> Any:
    tree = select(Category.id).where(Category.id == category_id).cte("category_tree", recursive=True)
    tree = tree.union_all(select(Category.id).where(Category.parent_id == tree.c.id))
    return select(tree.c.id)


def _has_tag(dialect: str, tag: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return cast(Spu.tags, JSONB).contains([tag])
    elements = func.json_each(Spu.tags).table_valued("value")
    return exists(select(literal(1)).select_from(elements).where(elements.c.value == tag))


def _card(row: Any) -> ProductListItem:
    return ProductListItem(
        id=row.id,
        title=row.title,
        subtitle=row.subtitle,
        main_image_url=row.main_image_url,
        thumbnail_url=thumbnail_url(row.main_image_url),
        price_min=row.price_min,
        price_max=row.price_max,
        original_price_min=row.original_price_min,
        sales=row.sales_count + row.virtual_sales,
        tags=list(row.tags or []),
        in_stock=bool(row.in_stock),
    )


async def _page(
    session: AsyncSession, base: Select[Any], keys: list[_Key], after: list[Any], limit: int
) -> list[Any]:
    statement = base
    if after:
        statement = statement.where(_after(keys, after))
    order = [k.expression.desc() if k.descending else k.expression.asc() for k in keys]
    return list((await session.execute(statement.order_by(*order).limit(limit + 1))).all())


async def list_products(
    session: AsyncSession,
    *,
    category_id: int | None = None,
    keyword: str | None = None,
    tag: str | None = None,
    sort: ProductSort = "default",
    cursor: str | None = None,
    limit: int = 20,
) -> Page[ProductListItem]:
    """On-shelf products, filtered and sorted, one keyset page at a time.

    With a keyword, its words must all match; only if that finds nothing at all are they OR-ed (the
    choice is carried in the cursor so every page of one listing uses the same rule). The default sort
    of a search is relevance, then newest id.
    """
    dialect = _dialect(session)
    base = select(*_CARD_COLUMNS).where(Spu.is_on_shelf.is_(True))
    if category_id is not None:
        base = base.where(Spu.category_id.in_(_descendants(category_id)))
    if tag:
        base = base.where(_has_tag(dialect, tag))
    if not keyword:
        keys = _sort_keys(sort, None)
        _, after = _decode(cursor, sort, {"all": keys})
        rows = await _page(session, base, keys, after, limit)
        return _finish(rows, keys, limit, f"{sort}:all")

    groups = query_groups(keyword)
    if not groups:
        if cursor:
            raise InvalidInput("分页游标无效", code="invalid_cursor")
        return Page[ProductListItem](items=[], next_cursor=None)
    plans = {}
    for mode in ("and", "or"):
        match = text_match(dialect, Spu.id, Spu.search_text, groups, match_all=mode == "and")
        plans[mode] = (match, _sort_keys(sort, match.score))
    mode, after = _decode(cursor, sort, {m: plan[1] for m, plan in plans.items()})
    for attempt in ([mode] if mode else ["and", "or"]):
        match, keys = plans[attempt]
        statement = base.add_columns(match.score.label("score"))
        if match.join is not None:
            statement = statement.join(*match.join)
        rows = await _page(session, statement.where(match.condition), keys, after, limit)
        if rows or mode:
            return _finish(rows, keys, limit, f"{sort}:{attempt}")
    return Page[ProductListItem](items=[], next_cursor=None)


def _finish(rows: list[Any], keys: list[_Key], limit: int, tag: str) -> Page[ProductListItem]:
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([tag, *[_row_value(last, key) for key in keys]])
    return Page[ProductListItem](items=[_card(row) for row in rows[:limit]], next_cursor=next_cursor)


# ---- product pages ----------------------------------------------------------------------------------

async def _detail_fields(session: AsyncSession, spu: Spu, skus: Sequence[Sku]) -> dict[str, Any]:
    from qingmall.reviews.service import get_review_summary

    path = await category_path(session, spu.category_id)
    summary = await get_review_summary(session, spu.id)
    stock_total = sum(sku.stock for sku in skus if sku.is_enabled)
    return {
        "id": spu.id, "title": spu.title, "subtitle": spu.subtitle, "category_id": spu.category_id,
        "category_path": path, "main_image_url": spu.main_image_url, "images": list(spu.images),
        "video_url": spu.video_url, "detail": list(spu.detail), "spec_dimensions": list(spu.spec_dimensions),
        "price_min": spu.price_min, "price_max": spu.price_max, "original_price_min": spu.original_price_min,
        "stock_total": stock_total, "in_stock": stock_total > 0,
        "sales": spu.sales_count + spu.virtual_sales, "tags": list(spu.tags),
        "shipping_template_id": spu.shipping_template_id, "is_on_shelf": spu.is_on_shelf,
        "review_count": summary.review_count, "good_review_count": summary.good_count,
        "rating_average": summary.average_rating, "good_rate": summary.good_rate,
        "review_summary": summary,
    }


async def get_product_detail(session: AsyncSession, spu_id: int) -> ProductDetail:
    """A shopper's product page; an off-shelf or unknown product is 404.

    SKUs are the current matrix in matrix order (disabled ones included, flagged, so the page can grey
    them out); combinations dropped from the specs are left out.
    """
    spu = await session.get(Spu, spu_id)
    if spu is None or not spu.is_on_shelf:
        raise NotFound("商品不存在或已下架", code="product_not_found")
    order = {key: i for i, key in enumerate(expected_spec_keys(spu.spec_dimensions))}
    skus = (await session.scalars(select(Sku).where(Sku.spu_id == spu_id, Sku.spec_key.in_(list(order))))).all()
    public = [SkuPublic.model_validate(sku) for sku in sorted(skus, key=lambda s: order[s.spec_key])]
    return ProductDetail(**await _detail_fields(session, spu, skus), skus=public)


async def get_product_admin(session: AsyncSession, spu_id: int) -> ProductAdminDetail:
    """The merchant's view of a product: any shelf state, every SKU ever made (disabled ones last)."""
    spu = await session.get(Spu, spu_id)
    if spu is None:
        raise NotFound("商品不存在", code="product_not_found")
    order = {key: i for i, key in enumerate(expected_spec_keys(spu.spec_dimensions))}
    skus = (await session.scalars(select(Sku).where(Sku.spu_id == spu_id).order_by(Sku.id))).all()
    ranked = sorted(skus, key=lambda s: (order.get(s.spec_key, len(order)), s.id))
    return ProductAdminDetail(
        **await _detail_fields(session, spu, skus),
        skus=[SkuAdmin.model_validate(sku) for sku in ranked],
        sales_count=spu.sales_count, virtual_sales=spu.virtual_sales, sort_weight=spu.sort_weight,
        created_at=spu.created_at, updated_at=spu.updated_at,
    )


async def list_products_admin(
    session: AsyncSession,
    *,
    keyword: str | None = None,
    category_id: int | None = None,
    is_on_shelf: bool | None = None,
    low_stock: bool = False,
    low_stock_threshold: int = 10,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[ProductAdminListItem]:
    """The merchant's product list, newest id first. ``keyword`` matches title text, a SKU barcode or
    the id; ``low_stock`` keeps products with an enabled SKU at or below the threshold."""
    live_stock = (
        select(func.coalesce(func.sum(Sku.stock), 0))
        .where(Sku.spu_id == Spu.id, Sku.is_enabled.is_(True))
        .correlate(Spu)
        .scalar_subquery()
        .label("stock_total")
    )
    statement = select(
        Spu.id, Spu.title, Spu.category_id, Spu.main_image_url, Spu.price_min, Spu.price_max, live_stock,
        Spu.sales_count, Spu.is_on_shelf, Spu.updated_at,
    )
    if keyword:
        escaped = keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches = [
            Spu.title.ilike(f"%{escaped}%", escape="\\"),
            exists().where(Sku.spu_id == Spu.id, Sku.barcode == keyword),
        ]
        if keyword.isascii() and keyword.isdigit() and len(keyword) < 18:
            matches.append(Spu.id == int(keyword))
        statement = statement.where(or_(*matches))
    if category_id is not None:
        statement = statement.where(Spu.category_id.in_(_descendants(category_id)))
    if is_on_shelf is not None:
        statement = statement.where(Spu.is_on_shelf.is_(is_on_shelf))
    if low_stock:
        statement = statement.where(
            exists().where(Sku.spu_id == Spu.id, Sku.is_enabled.is_(True), Sku.stock <= low_stock_threshold)
        )
    keys = [_Key(Spu.id, True, "id", "id")]
    _, after = _decode(cursor, "admin", {"all": keys})
    rows = await _page(session, statement, keys, after, limit)
    next_cursor = encode_cursor(["admin:all", rows[limit - 1].id]) if len(rows) > limit else None
    items = [
        ProductAdminListItem(**row._asdict(), thumbnail_url=thumbnail_url(row.main_image_url)) for row in rows[:limit]
    ]
    return Page[ProductAdminListItem](items=items, next_cursor=next_cursor)
