"""Merchant routes of the reviews area (mounted under /api/admin/v1): list, reply, hide/unhide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.reviews import service
from qingmall.reviews.schemas import ReplyUpdate, ReviewAdminPublic, ReviewHide
from qingmall.staff.deps import require_permission
from qingmall.staff.models import Staff

router = APIRouter(tags=["admin:reviews"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Moderator = Annotated[Staff, Depends(require_permission("reviews.moderate"))]


@router.get("/reviews")
async def list_reviews(
    _staff: Moderator,
    session: SessionDep,
    rating: Annotated[int | None, Query(ge=1, le=5)] = None,
    is_hidden: bool | None = None,
    has_reply: bool | None = None,
    has_photos: Annotated[bool | None, Query(description="有图（评价或追评带图）")] = None,
    spu_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    shopper_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ReviewAdminPublic]:
    return await service.list_reviews_admin(
        session,
        rating=rating,
        is_hidden=is_hidden,
        has_reply=has_reply,
        has_photos=has_photos,
        spu_id=spu_id,
        shopper_id=shopper_id,
        cursor=cursor,
        limit=limit,
    )


@router.get("/reviews/{review_id}")
async def get_review(review_id: Id, _staff: Moderator, session: SessionDep) -> ReviewAdminPublic:
    return await service.get_review_admin(session, review_id)


@router.put("/reviews/{review_id}/reply")
async def reply_to_review(review_id: Id, body: ReplyUpdate, staff: Moderator, session: SessionDep) -> ReviewAdminPublic:
    return await service.reply_to_review(session, review_id, staff.id, body.content)


@router.post("/reviews/{review_id}/hide")
async def hide_review(review_id: Id, body: ReviewHide, _staff: Moderator, session: SessionDep) -> ReviewAdminPublic:
    return await service.hide_review(session, review_id, body.reason)


@router.post("/reviews/{review_id}/unhide")
async def unhide_review(review_id: Id, _staff: Moderator, session: SessionDep) -> ReviewAdminPublic:
    return await service.unhide_review(session, review_id)
