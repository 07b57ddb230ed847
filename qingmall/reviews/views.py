"""How a review is shown: to any shopper (author masked), to its author, and to the merchant.

Pure functions of a loaded ``Review`` (plus the joined nickname/avatar/title), so every route shows the
same thing and the masking rule lives in one place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from qingmall.core import clock
from qingmall.core.storage import thumbnail_url
from qingmall.reviews.models import Review
from qingmall.reviews.schemas import FollowUpPublic, MyReviewPublic, ReplyPublic, ReviewAdminPublic, ReviewPublic
from qingmall.settings import get_settings

ANONYMOUS_NAME = "匿名用户"


def mask_nickname(nickname: str) -> str:
    """``"张三丰" -> "张**"``; an empty nickname shows as ``"用户**"``."""
    name = nickname.strip()
    return f"{name[0]}**" if name else "用户**"


def follow_up_deadline(review: Review) -> datetime:
    return review.created_at + timedelta(days=get_settings().review_follow_up_days)


def _follow_up_view(review: Review) -> FollowUpPublic | None:
    if review.follow_up_at is None:
        return None
    return FollowUpPublic(
        content=review.follow_up_content,
        photos=list(review.follow_up_photos or []),
        created_at=review.follow_up_at,
        days_after=(review.follow_up_at - review.created_at).days,
    )


def _reply_view(review: Review) -> ReplyPublic | None:
    if review.reply_at is None:
        return None
    return ReplyPublic(content=review.reply_content, created_at=review.reply_at)


def public_view(review: Review, nickname: str, avatar_url: str) -> ReviewPublic:
    return ReviewPublic(
        id=review.id,
        rating=review.rating,
        content=review.content,
        photos=list(review.photos or []),
        spec_text=review.spec_text,
        author_name=ANONYMOUS_NAME if review.is_anonymous else mask_nickname(nickname),
        author_avatar_url=None if review.is_anonymous else (avatar_url or None),
        is_anonymous=review.is_anonymous,
        created_at=review.created_at,
        follow_up=_follow_up_view(review),
        reply=_reply_view(review),
    )


def my_view(review: Review, title: str, image_url: str) -> MyReviewPublic:
    return MyReviewPublic(
        id=review.id,
        order_id=review.order_id,
        order_line_id=review.order_line_id,
        spu_id=review.spu_id,
        sku_id=review.sku_id,
        product_title=title,
        product_image_url=image_url,
        spec_text=review.spec_text,
        rating=review.rating,
        content=review.content,
        photos=list(review.photos or []),
        is_anonymous=review.is_anonymous,
        is_hidden=review.is_hidden,
        can_follow_up=review.follow_up_at is None and clock.now() <= follow_up_deadline(review),
        created_at=review.created_at,
        follow_up=_follow_up_view(review),
        reply=_reply_view(review),
    )


def admin_view(review: Review, nickname: str, title: str, image_url: str) -> ReviewAdminPublic:
    photos = list(review.photos or [])
    return ReviewAdminPublic(
        id=review.id,
        order_id=review.order_id,
        order_line_id=review.order_line_id,
        shopper_id=review.shopper_id,
        shopper_nickname=nickname,
        spu_id=review.spu_id,
        sku_id=review.sku_id,
        product_title=title,
        product_thumbnail_url=thumbnail_url(image_url),
        spec_text=review.spec_text,
        rating=review.rating,
        content=review.content,
        photos=photos,
        photo_thumbnails=[thumbnail_url(url) for url in photos],
        is_anonymous=review.is_anonymous,
        is_hidden=review.is_hidden,
        hidden_reason=review.hidden_reason,
        hidden_at=review.hidden_at,
        created_at=review.created_at,
        follow_up=_follow_up_view(review),
        reply=_reply_view(review),
        reply_staff_id=review.reply_staff_id,
    )
