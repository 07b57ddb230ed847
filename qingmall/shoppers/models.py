"""Shopper accounts and what belongs to one shopper: addresses, favourites, browsing history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, BigId, IdMixin, TimestampMixin, UTCDateTime


class Shopper(IdMixin, TimestampMixin, Base):
    """A shopper, found by WeChat openid (mini-program) or by phone (H5 SMS login).

    The phone number is personal data: stored AES-GCM encrypted (``phone_cipher``) with a keyed hash
    (``phone_hash``) for lookup and uniqueness, and shown masked.
    """

    __tablename__ = "shoppers"

    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_cipher: Mapped[str | None] = mapped_column(String(255))
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    nickname: Mapped[str] = mapped_column(String(64), default="")
    avatar_url: Mapped[str] = mapped_column(String(512), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ShopperOwned:
    """Mixin for rows that belong to one shopper (every query filters on it)."""

    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id", ondelete="CASCADE"), index=True)

