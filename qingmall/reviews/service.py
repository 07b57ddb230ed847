"""Reviews: shoppers review the lines of their completed orders; merchants reply and moderate.

Invariants:
- A shopper reviews only their own order lines (another shopper's line is a 404, as if it did not exist),
  only once the order is ``completed``, and only once per line: the unique index on ``order_line_id``
  settles concurrent submits (one 201, the other 409 ``already_reviewed``).
- Photos must be images uploaded through the app (``settings.media_url_prefix`` + a ``core.storage`` key),
  so a review can never hot-link or smuggle arbitrary URLs onto a product page.
- One follow-up per review, by its author, within ``settings.review_follow_up_days``; claimed by a
  conditional UPDATE (``follow_up_at IS NULL``) so two concurrent follow-ups cannot both land.
- Hidden reviews are never shown to other shoppers nor counted in ``get_review_summary``.
- Other shoppers never see who wrote a review: anonymous reviews show "匿名用户" without avatar, the rest
  a masked nickname ("张**").
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, case, false, func, select, true, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.errors import Conflict, InvalidInput, NotFound
from qingmall.core.pagination import Page, cursor_id, cursor_time, decode_cursor, encode_cursor
from qingmall.core.storage import stored_image_key
from qingmall.orders.models import Order, OrderLine
from qingmall.reviews.models import Review
from qingmall.reviews.schemas import (
    FollowUpCreate,
    MyReviewPublic,
    ReviewAdminPublic,
    ReviewCreate,
    ReviewFilter,
    ReviewPublic,
    ReviewSummary,
)
from qingmall.reviews.views import admin_view, follow_up_deadline, my_view, public_view
from qingmall.settings import get_settings
from qingmall.shoppers.models import Shopper

ORDER_COMPLETED = "completed"
GOOD_RATING = 4
SUMMARY_LATEST = 3


# ---- pure rules -------------------------------------------------------------------------------------------


def average_rating(rating_sum: int, count: int) -> float | None:
    """Mean rating with one decimal, half up (4.45 -> 4.5); ``None`` without reviews."""
    if count <= 0:
        return None
    mean = (Decimal(rating_sum) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(mean)


def good_rate(good: int, count: int) -> int | None:
    """Integer percent of good reviews, rounded down so it never overstates; ``None`` without reviews."""
    if count <= 0:
        return None
    return good * 100 // count


def check_photos(urls: list[str]) -> list[str]:
    """Accept only URLs of images uploaded through the app (``core.storage.stored_image_key``): other
    hosts, ``..``, query strings and non-image keys are refused."""
    for url in urls:
        if stored_image_key(url) is None:
            raise InvalidInput("图片地址无效，请通过商城上传图片", code="invalid_photo_url", details={"url": url[:512]})
    return list(urls)


def _decode_time_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """``(created_at, id)`` of a ``[time, id]`` cursor, each checked (a forged cursor is 422 ``invalid_cursor``)."""
    values = decode_cursor(cursor, 2)
    if values is None:
        return None
    return cursor_time(values[0]), cursor_id(values[1])


def _encode_time_cursor(review: Review) -> str:
    return encode_cursor([review.created_at.isoformat(), review.id])


def _decode_id_cursor(cursor: str | None) -> int | None:
    values = decode_cursor(cursor, 1)
    if values is None:
        return None
    return cursor_id(values[0])


# ---- shopper side -----------------------------------------------------------------------------------------


async def _review_id_for_line(session: AsyncSession, order_line_id: int) -> int | None:
    return await session.scalar(select(Review.id).where(Review.order_line_id == order_line_id))


async def _my_review(session: AsyncSession, review_id: int) -> MyReviewPublic:
    row = (
        await session.execute(
            select(Review, OrderLine.title, OrderLine.image_url)
            .join(OrderLine, OrderLine.id == Review.order_line_id)
            .where(Review.id == review_id)
        )
    ).one()
    return my_view(row.Review, row.title, row.image_url)


async def submit_review(session: AsyncSession, shopper_id: int, data: ReviewCreate) -> MyReviewPublic:
    """Review one line of one's own completed order (commits). 404 for a line that is not theirs,
    409 ``order_not_completed`` / ``already_reviewed``; a lost race on the unique index is also 409."""
    photos = check_photos(data.photos)
    row = (
        await session.execute(
            select(OrderLine, Order.shopper_id, Order.status)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.id == data.order_line_id)
        )
    ).one_or_none()
    if row is None or row.shopper_id != shopper_id:
        raise NotFound("订单商品不存在", code="not_found")
    if row.status != ORDER_COMPLETED:
        raise Conflict("订单确认收货后才能评价", code="order_not_completed")
    line: OrderLine = row.OrderLine
    line_id, title, image_url = line.id, line.title, line.image_url  # a rollback below expires ``line``
    if await _review_id_for_line(session, line_id) is not None:
        raise Conflict("该商品已经评价过了", code="already_reviewed")
    review = Review(
        order_line_id=line.id,
        order_id=line.order_id,
        shopper_id=shopper_id,
        spu_id=line.spu_id,
        sku_id=line.sku_id,
        spec_text=line.spec_text,
        rating=data.rating,
        content=data.content.strip(),
        photos=photos,
        has_photos=bool(photos),
        is_anonymous=data.is_anonymous,
    )
    session.add(review)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        if await _review_id_for_line(session, line_id) is not None:
            raise Conflict("该商品已经评价过了", code="already_reviewed") from None
        raise
    return my_view(review, title, image_url)


async def add_follow_up(session: AsyncSession, shopper_id: int, review_id: int, data: FollowUpCreate) -> MyReviewPublic:
    """Add the one follow-up to one's own review (commits), within ``review_follow_up_days``."""
    photos = check_photos(data.photos)
    content = data.content.strip()
    if not content and not photos:
        raise InvalidInput("追评内容和图片不能都为空", code="empty_follow_up")
    review = await session.get(Review, review_id)
    if review is None or review.shopper_id != shopper_id:
        raise NotFound("评价不存在", code="not_found")
    if review.follow_up_at is not None:
        raise Conflict("每条评价只能追评一次", code="already_followed_up")
    now = clock.now()
    if now > follow_up_deadline(review):
        days = get_settings().review_follow_up_days
        raise Conflict(f"评价超过 {days} 天，不能再追评", code="follow_up_expired")
    result = await session.execute(
        update(Review)
        .where(Review.id == review_id, Review.follow_up_at.is_(None))
        .values(
            follow_up_content=content,
            follow_up_photos=photos,
            follow_up_at=now,
            has_photos=bool(review.photos) or bool(photos),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        await session.rollback()
        raise Conflict("每条评价只能追评一次", code="already_followed_up")
    await session.commit()
    await session.refresh(review)
    return await _my_review(session, review_id)


def _visible_for_product(spu_id: int) -> Select[Any]:
    return (
        select(Review, Shopper.nickname, Shopper.avatar_url)
        .join(Shopper, Shopper.id == Review.shopper_id)
        .where(Review.spu_id == spu_id, Review.is_hidden == false())
    )


async def list_product_reviews(
    session: AsyncSession, spu_id: int, *, filter: ReviewFilter = "all", cursor: str | None = None, limit: int = 10
) -> Page[ReviewPublic]:
    """Visible reviews of a product, newest first; ``good`` = 4-5 stars, ``with_photos`` = has photos."""
    query = _visible_for_product(spu_id)
    if filter == "good":
        query = query.where(Review.rating >= GOOD_RATING)
    elif filter == "with_photos":
        query = query.where(Review.has_photos == true())
    after = _decode_time_cursor(cursor)
    if after is not None:
        query = query.where(tuple_(Review.created_at, Review.id) < tuple_(*after))
    rows = (await session.execute(query.order_by(Review.created_at.desc(), Review.id.desc()).limit(limit + 1))).all()
    items = [public_view(r.Review, r.nickname, r.avatar_url) for r in rows[:limit]]
    next_cursor = _encode_time_cursor(rows[limit - 1].Review) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


async def list_my_reviews(
    session: AsyncSession, shopper_id: int, *, cursor: str | None = None, limit: int = 10
) -> Page[MyReviewPublic]:
    """One's own reviews (hidden ones included, flagged), newest first."""
    query = (
        select(Review, OrderLine.title, OrderLine.image_url)
        .join(OrderLine, OrderLine.id == Review.order_line_id)
        .where(Review.shopper_id == shopper_id)
    )
    after = _decode_time_cursor(cursor)
    if after is not None:
        query = query.where(tuple_(Review.created_at, Review.id) < tuple_(*after))
    rows = (await session.execute(query.order_by(Review.created_at.desc(), Review.id.desc()).limit(limit + 1))).all()
    items = [my_view(r.Review, r.title, r.image_url) for r in rows[:limit]]
    next_cursor = _encode_time_cursor(rows[limit - 1].Review) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


async def get_review_summary(session: AsyncSession, spu_id: int) -> ReviewSummary:
    """Counts, average, good rate and the latest 3 visible reviews of a product: two queries, both served
    by the ``(spu_id, is_hidden, created_at, id)`` index."""
    visible = (Review.spu_id == spu_id, Review.is_hidden == false())
    stats = (
        await session.execute(
            select(
                func.count(Review.id).label("count"),
                func.coalesce(func.sum(Review.rating), 0).label("rating_sum"),
                func.coalesce(func.sum(case((Review.rating >= GOOD_RATING, 1), else_=0)), 0).label("good"),
                func.coalesce(func.sum(case((Review.has_photos == true(), 1), else_=0)), 0).label("photos"),
            ).where(*visible)
        )
    ).one()
    count, rating_sum, good = int(stats.count), int(stats.rating_sum), int(stats.good)
    latest: list[ReviewPublic] = []
    if count:
        rows = (
            await session.execute(
                _visible_for_product(spu_id).order_by(Review.created_at.desc(), Review.id.desc()).limit(SUMMARY_LATEST)
            )
        ).all()
        latest = [public_view(r.Review, r.nickname, r.avatar_url) for r in rows]
    return ReviewSummary(
        review_count=count,
        average_rating=average_rating(rating_sum, count),
        good_count=good,
        good_rate=good_rate(good, count),
        with_photos_count=int(stats.photos),
        latest=latest,
    )


# ---- merchant side ----------------------------------------------------------------------------------------


def _admin_query() -> Select[Any]:
    return (
        select(Review, Shopper.nickname, OrderLine.title, OrderLine.image_url)
        .join(Shopper, Shopper.id == Review.shopper_id)
        .join(OrderLine, OrderLine.id == Review.order_line_id)
    )


async def get_review_admin(session: AsyncSession, review_id: int) -> ReviewAdminPublic:
    row = (await session.execute(_admin_query().where(Review.id == review_id))).one_or_none()
    if row is None:
        raise NotFound("评价不存在", code="not_found")
    return admin_view(row.Review, row.nickname, row.title, row.image_url)


async def list_reviews_admin(
    session: AsyncSession,
    *,
    rating: int | None = None,
    is_hidden: bool | None = None,
    has_reply: bool | None = None,
    has_photos: bool | None = None,
    spu_id: int | None = None,
    shopper_id: int | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[ReviewAdminPublic]:
    """Every review (hidden ones too) for moderation, newest first, with filters; ``has_photos`` means the
    review or its follow-up carries photos, as the product page's "有图" filter."""
    query = _admin_query()
    if rating is not None:
        query = query.where(Review.rating == rating)
    if is_hidden is not None:
        query = query.where(Review.is_hidden == (true() if is_hidden else false()))
    if has_reply is not None:
        query = query.where(Review.reply_at.is_not(None) if has_reply else Review.reply_at.is_(None))
    if has_photos is not None:
        query = query.where(Review.has_photos == (true() if has_photos else false()))
    if spu_id is not None:
        query = query.where(Review.spu_id == spu_id)
    if shopper_id is not None:
        query = query.where(Review.shopper_id == shopper_id)
    after = _decode_id_cursor(cursor)
    if after is not None:
        query = query.where(Review.id < after)
    rows = (await session.execute(query.order_by(Review.id.desc()).limit(limit + 1))).all()
    items = [admin_view(r.Review, r.nickname, r.title, r.image_url) for r in rows[:limit]]
    next_cursor = encode_cursor([rows[limit - 1].Review.id]) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


async def _get_review(session: AsyncSession, review_id: int) -> Review:
    review = await session.get(Review, review_id)
    if review is None:
        raise NotFound("评价不存在", code="not_found")
    return review


async def reply_to_review(session: AsyncSession, review_id: int, staff_id: int, content: str) -> ReviewAdminPublic:
    """Set the merchant's single reply, or edit it (commits); the reply time is the latest edit."""
    text = content.strip()
    if not text:
        raise InvalidInput("回复内容不能为空", code="empty_reply")
    review = await _get_review(session, review_id)
    now = clock.now()
    review.reply_content, review.reply_at, review.reply_staff_id = text, now, staff_id
    await session.commit()
    return await get_review_admin(session, review_id)


async def hide_review(session: AsyncSession, review_id: int, reason: str) -> ReviewAdminPublic:
    """Hide a review from shoppers and from the product summary (commits); the reason is kept."""
    text = reason.strip()
    if not text:
        raise InvalidInput("请填写隐藏原因", code="empty_reason")
    review = await _get_review(session, review_id)
    review.is_hidden, review.hidden_reason, review.hidden_at = True, text, clock.now()
    await session.commit()
    return await get_review_admin(session, review_id)


async def unhide_review(session: AsyncSession, review_id: int) -> ReviewAdminPublic:
    """Show a hidden review again (commits)."""
    review = await _get_review(session, review_id)
    review.is_hidden, review.hidden_reason, review.hidden_at = False, "", None
    await session.commit()
    return await get_review_admin(session, review_id)
