"""Shopper routes of the content area (mounted under /api/v1): the home page."""

from __future__ import annotations

from fastapi import APIRouter, Response

from qingmall.catalog.cache import get_catalog_cache
from qingmall.content import service
from qingmall.content.schemas import HomePublic
from qingmall.core.db import get_database

router = APIRouter(tags=["content"])


@router.get("/home", response_model=HomePublic)
async def get_home() -> Response:
    """首页: live banners (轮播图) and top-level category shortcuts; no login needed.

    Answered from the catalog cache like the category tree (a hit opens no database session); banner
    and category edits invalidate it.
    """

    async def build() -> bytes:
        async with get_database().sessionmaker() as session:
            return (await service.get_home(session)).model_dump_json().encode()

    body = await get_catalog_cache().get_or_build("home", build)
    return Response(content=body, media_type="application/json")
