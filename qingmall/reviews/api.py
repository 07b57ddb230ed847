"""Shopper routes of the reviews area (mounted under /api/v1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.reviews import service
from qingmall.reviews.schemas import FollowUpCreate, MyReviewPublic, ReviewCreate, ReviewFilter, ReviewPublic
from qingmall.shoppers.deps import CurrentShopper

router = APIRouter(tags=["reviews"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=50)]


@router.post("/reviews", status_code=201)
async def submit_review(body: ReviewCreate, shopper: CurrentShopper, session: SessionDep) -> MyReviewPublic:
    return await service.submit_review(session, shopper.id, body)


@router.post("/reviews/{review_id}/follow-up")
async def add_follow_up(
    review_id: Id, body: FollowUpCreate, shopper: CurrentShopper, session: SessionDep
) -> MyReviewPublic:
    return await service.add_follow_up(session, shopper.id, review_id, body)


@router.get("/products/{spu_id}/reviews")
async def list_product_reviews(
    spu_id: Id,
    session: SessionDep,
    filter: Annotated[ReviewFilter, Query(description="all 全部 | good 好评（4-5 星）| with_photos 有图")] = "all",
    cursor: Cursor = None,
    limit: Limit = 10,
) -> Page[ReviewPublic]:
    return await service.list_product_reviews(session, spu_id, filter=filter, cursor=cursor, limit=limit)


@router.get("/me/reviews")
async def list_my_reviews(
    shopper: CurrentShopper, session: SessionDep, cursor: Cursor = None, limit: Limit = 10
) -> Page[MyReviewPublic]:
    return await service.list_my_reviews(session, shopper.id, cursor=cursor, limit=limit)
