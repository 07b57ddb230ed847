"""Merchant staff accounts, their roles, and the audit log of every admin write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, IdMixin, TimestampMixin, UTCDateTime


class Staff(IdMixin, TimestampMixin, Base):
    """A person who works in the console. ``role`` is one of ``staff.permissions.ROLES``.

    Failed logins are counted; past the limit the account is locked until ``locked_until``.
    """

    __tablename__ = "staff"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    token_version: Mapped[int] = mapped_column(default=0)
