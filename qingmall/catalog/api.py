"""Shopper routes of the catalog area (mounted under /api/v1): categories, product list/search, product page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import TypeAdapter

from qingmall.catalog import categories, queries
from qingmall.catalog.cache import get_catalog_cache
from qingmall.catalog.schemas import SINGLE_LINE_PATTERN, CategoryNode, ProductDetail, ProductListItem, ProductSort
from qingmall.core.db import get_database
from qingmall.core.pagination import Page
from qingmall.shoppers import favourite_service
from qingmall.shoppers.deps import get_optional_shopper

router = APIRouter(tags=["catalog"])
_CATEGORY_TREE = TypeAdapter(list[CategoryNode])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Keyword = Annotated[str | None, Query(min_length=1, max_length=50, pattern=SINGLE_LINE_PATTERN, description="搜索词")]
TagFilter = Annotated[str | None, Query(min_length=1, max_length=20, pattern=SINGLE_LINE_PATTERN)]


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


@router.get("/categories", response_model=list[CategoryNode])
async def list_categories() -> Response:
    async def build() -> bytes:
        async with get_database().sessionmaker() as session:
            return _CATEGORY_TREE.dump_json(await categories.visible_tree(session))

    return _json(await get_catalog_cache().get_or_build("categories", build))


@router.get("/products", response_model=Page[ProductListItem])
async def list_products(
    category_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="含下级类目")] = None,
    keyword: Keyword = None,
    tag: TagFilter = None,
    sort: Annotated[ProductSort, Query(description="default|sales|price_asc|price_desc|newest")] = "default",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Response:
    async def build() -> bytes:
        async with get_database().sessionmaker() as session:
            page = await queries.list_products(
                session, category_id=category_id, keyword=keyword, tag=tag, sort=sort, cursor=cursor, limit=limit
            )
        return page.model_dump_json().encode()

    key = f"products:{category_id}:{keyword}:{tag}:{sort}:{cursor}:{limit}"
    return _json(await get_catalog_cache().get_or_build(key, build))


@router.get("/products/{spu_id}", response_model=ProductDetail)
async def get_product(spu_id: Id, authorization: Annotated[str | None, Header()] = None) -> Response:
    """A product page; a signed-in shopper's visit is added to their browsing history (足迹).

    The routes of this module open a database session only on a cache miss (or to record a visit): a hit
    is answered from memory.
    """

    async def build() -> bytes:
        async with get_database().sessionmaker() as session:
            return (await queries.get_product_detail(session, spu_id)).model_dump_json().encode()

    body = await get_catalog_cache().get_or_build(f"product:{spu_id}", build)
    if authorization:
        async with get_database().sessionmaker() as session:
            shopper = await get_optional_shopper(session, authorization)
            if shopper is not None:
                await favourite_service.record_view(session, shopper.id, spu_id)
    return _json(body)
