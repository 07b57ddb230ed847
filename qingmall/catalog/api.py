"""Shopper routes of the catalog area (mounted under /api/v1): categories, product list/search, product page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qingmall.catalog import categories, queries
from qingmall.catalog.schemas import SINGLE_LINE_PATTERN, CategoryNode, ProductDetail, ProductListItem, ProductSort
from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.shoppers import favourite_service
from qingmall.shoppers.deps import OptionalShopper

router = APIRouter(tags=["catalog"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Keyword = Annotated[str | None, Query(min_length=1, max_length=50, pattern=SINGLE_LINE_PATTERN, description="搜索词")]
TagFilter = Annotated[str | None, Query(min_length=1, max_length=20, pattern=SINGLE_LINE_PATTERN)]


@router.get("/categories")
async def list_categories(session: SessionDep) -> list[CategoryNode]:
    return await categories.visible_tree(session)


@router.get("/products")
async def list_products(
    session: SessionDep,
    category_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="含下级类目")] = None,
    keyword: Keyword = None,
    tag: TagFilter = None,
    sort: Annotated[ProductSort, Query(description="default|sales|price_asc|price_desc|newest")] = "default",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Page[ProductListItem]:
    return await queries.list_products(
        session, category_id=category_id, keyword=keyword, tag=tag, sort=sort, cursor=cursor, limit=limit
    )


@router.get("/products/{spu_id}")
async def get_product(spu_id: Id, session: SessionDep, shopper: OptionalShopper) -> ProductDetail:
    """A product page; a signed-in shopper's visit is added to their browsing history (足迹)."""
    detail = await queries.get_product_detail(session, spu_id)
    if shopper is not None:
        await favourite_service.record_view(session, shopper.id, spu_id)
    return detail
