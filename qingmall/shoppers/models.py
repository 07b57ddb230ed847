"""Shopper accounts and what belongs to one shopper: addresses, favourites, browsing history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core import clock
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


class Address(IdMixin, ShopperOwned, TimestampMixin, Base):
    """A shipping address of one shopper. Region names are filled from the GB/T 2260 codes, never from
    the client; the phone is personal data, stored encrypted and shown masked. One default per shopper.
    """

    __tablename__ = "addresses"

    recipient_name: Mapped[str] = mapped_column(String(32))
    phone_cipher: Mapped[str] = mapped_column(String(255))
    phone_masked: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(6))
    district_code: Mapped[str] = mapped_column(String(6))
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
    district: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(6), default="")
    tag: Mapped[str] = mapped_column(String(16), default="")
    is_default: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        # At most one default per shopper, enforced by the database as well as by the service.
        Index(
            "uq_addresses_one_default",
            "shopper_id",
            unique=True,
            postgresql_where=text("is_default"),
            sqlite_where=text("is_default"),
        ),
    )


class ShopperSession(IdMixin, ShopperOwned, TimestampMixin, Base):
    """One login of one shopper on one device: the family of its rotated refresh tokens.

    Access and refresh tokens carry the session id (``sid``); revoking the session (logout, or a refresh
    token presented twice) ends every token of the family at once.
    """

    __tablename__ = "shopper_sessions"

    channel: Mapped[str] = mapped_column(String(16))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str] = mapped_column(String(32), default="")


class ShopperRefreshToken(IdMixin, Base):
    """One issued refresh token, by the SHA-256 of its ``jti`` (the token itself is never stored).

    A refresh token is single use: ``used_at`` is set by a conditional UPDATE when it is exchanged, so
    of two concurrent exchanges exactly one wins; presenting a used token again revokes its session.
    """

    __tablename__ = "shopper_refresh_tokens"

    session_id: Mapped[int] = mapped_column(BigId, ForeignKey("shopper_sessions.id", ondelete="CASCADE"), index=True)
    jti_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class SmsCode(IdMixin, Base):
    """A one-time SMS login code, stored as a keyed hash next to the phone's blind index.

    Only the newest unconsumed, unexpired code of a phone is accepted. Each wrong guess increments
    ``attempts``; the code is consumed on success or at ``MAX_ATTEMPTS`` wrong guesses.
    """

    __tablename__ = "sms_codes"

    phone_hash: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16), default="login")
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (Index("ix_sms_codes_phone_purpose", "phone_hash", "purpose", "id"),)


class Favourite(IdMixin, ShopperOwned, Base):
    """A product (SPU) a shopper saved (收藏). One row per shopper and product; listed newest first."""

    __tablename__ = "favourites"

    spu_id: Mapped[int] = mapped_column(BigId, ForeignKey("spus.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (UniqueConstraint("shopper_id", "spu_id"),)


class ViewedProduct(IdMixin, ShopperOwned, Base):
    """Browsing history (足迹): the last time a shopper opened a product. One row per shopper and product,
    at most ``HISTORY_LIMIT`` rows per shopper (the oldest are pruned on each view)."""

    __tablename__ = "viewed_products"

    spu_id: Mapped[int] = mapped_column(BigId, ForeignKey("spus.id", ondelete="CASCADE"), index=True)
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (
        UniqueConstraint("shopper_id", "spu_id"),
        Index("ix_viewed_products_shopper_viewed", "shopper_id", "viewed_at", "id"),
    )
