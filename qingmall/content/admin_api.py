"""Merchant routes of the content area (mounted under /api/admin/v1): home-page banners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from qingmall.content import service
from qingmall.content.schemas import BannerCreate, BannerPublic, BannerUpdate
from qingmall.core.db import SessionDep
from qingmall.staff.deps import require_permission

router = APIRouter(prefix="/banners", tags=["admin:content"])

BannerId = Annotated[int, Path(ge=1, le=2**63 - 1)]
read = [Depends(require_permission("catalog.read"))]
write = [Depends(require_permission("content.write"))]


@router.get("", dependencies=read)
async def list_banners(session: SessionDep) -> list[BannerPublic]:
    return await service.list_banners(session)


@router.get("/{banner_id}", dependencies=read)
async def get_banner(banner_id: BannerId, session: SessionDep) -> BannerPublic:
    return await service.get_banner(session, banner_id)


@router.post("", status_code=201, dependencies=write)
async def create_banner(body: BannerCreate, session: SessionDep) -> BannerPublic:
    return await service.create_banner(session, body)


@router.patch("/{banner_id}", dependencies=write)
async def update_banner(banner_id: BannerId, body: BannerUpdate, session: SessionDep) -> BannerPublic:
    return await service.update_banner(session, banner_id, body)


@router.delete("/{banner_id}", status_code=204, response_class=Response, dependencies=write)
async def delete_banner(banner_id: BannerId, session: SessionDep) -> None:
    await service.delete_banner(session, banner_id)
