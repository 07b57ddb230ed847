"""Request and response shapes of the reviews area.

Bounds: rating 1..5, content up to 500 characters, up to 9 photos of at most 512 characters each.
Text is trimmed and refuses control characters other than newline and tab (PostgreSQL cannot store NUL).
Whether a photo URL points at our own media is checked in ``reviews.service`` (it depends on settings).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from qingmall.core.text import SINGLE_LINE_PATTERN, multi_line

PhotoUrl = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=SINGLE_LINE_PATTERN)]
ReviewText = multi_line(500)
HideReason = multi_line(200)
Photos = Annotated[list[PhotoUrl], Field(max_length=9)]
ReviewFilter = Literal["all", "good", "with_photos"]


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_line_id: int = Field(ge=1, le=2**63 - 1)
    rating: int = Field(ge=1, le=5)
    content: ReviewText = ""
    photos: Photos = Field(default_factory=list)
    is_anonymous: bool = False


class FollowUpCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: ReviewText = ""
    photos: Photos = Field(default_factory=list)


class ReplyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: ReviewText  # emptiness (after trimming) is refused by the service: ``empty_reply``


class ReviewHide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: HideReason  # emptiness (after trimming) is refused by the service: ``empty_reason``


class FollowUpPublic(BaseModel):
    content: str
    photos: list[str]
    created_at: datetime
    days_after: int


class ReplyPublic(BaseModel):
    content: str
    created_at: datetime


class ReviewPublic(BaseModel):
    """A review as any shopper sees it on a product page (author masked or anonymous)."""

    id: int
    rating: int
    content: str
    photos: list[str]
    spec_text: str
    author_name: str
    author_avatar_url: str | None
    is_anonymous: bool
    created_at: datetime
    follow_up: FollowUpPublic | None
    reply: ReplyPublic | None


class MyReviewPublic(BaseModel):
    """A review as its author sees it in "my reviews", with the product it is about."""

    id: int
    order_id: int
    order_line_id: int
    spu_id: int
    sku_id: int
    product_title: str
    product_image_url: str
    spec_text: str
    rating: int
    content: str
    photos: list[str]
    is_anonymous: bool
    is_hidden: bool
    can_follow_up: bool
    created_at: datetime
    follow_up: FollowUpPublic | None
    reply: ReplyPublic | None


class ReviewAdminPublic(BaseModel):
    """A review as the merchant sees it: who wrote it (even if anonymous to shoppers), and moderation state.
    ``photo_thumbnails`` are the small versions of ``photos``, in the same order (for a list of thumbnails)."""

    id: int
    order_id: int
    order_line_id: int
    shopper_id: int
    shopper_nickname: str
    spu_id: int
    sku_id: int
    product_title: str
    product_thumbnail_url: str
    spec_text: str
    rating: int
    content: str
    photos: list[str]
    photo_thumbnails: list[str]
    is_anonymous: bool
    is_hidden: bool
    hidden_reason: str
    hidden_at: datetime | None
    created_at: datetime
    follow_up: FollowUpPublic | None
    reply: ReplyPublic | None
    reply_staff_id: int | None


class ReviewSummary(BaseModel):
    """What a product page shows about reviews; only visible (not hidden) reviews count.

    ``average_rating`` has one decimal (half up); ``good_rate`` is the integer percent of 4-5 star reviews,
    rounded down so it never overstates (199 good of 200 shows 99, not 100). Both are ``None`` without reviews.
    """

    review_count: int
    average_rating: float | None
    good_count: int
    good_rate: int | None
    with_photos_count: int
    latest: list[ReviewPublic]
