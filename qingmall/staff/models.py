"""Merchant staff accounts, their roles, and the audit log of every admin write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core import clock
from qingmall.core.db import Base, BigId, IdMixin, TimestampMixin, UTCDateTime


class Staff(IdMixin, TimestampMixin, Base):
    """A person who works in the console. ``role`` is one of ``staff.permissions.ROLES``.

    ``username`` is stored lower-case (3-32 of ``[a-z0-9_.-]``) so ``Admin`` can never shadow ``admin``.
    Failed logins are counted by one conditional UPDATE; past the limit the account is locked until
    ``locked_until``. Bumping ``token_version`` invalidates every token issued before (logout, password reset).
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


class AuditLog(IdMixin, Base):
    """One merchant write (POST/PUT/PATCH/DELETE under ``/api/admin/v1``), successful or not.

    Written by ``staff.audit``'s middleware in its own transaction once the response status is known, so
    no route has to remember it and a rolled-back business transaction still leaves its trace. The actor
    columns are copied (not joined) because the log must outlive renames and role changes. ``body_summary``
    is the request body with secrets redacted and size-capped; it never holds a password or token.
    """

    __tablename__ = "audit_logs"

    staff_id: Mapped[int | None] = mapped_column(BigId)
    username: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(32), default="")
    action: Mapped[str] = mapped_column(String(320))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(512))
    route: Mapped[str] = mapped_column(String(300), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    status_code: Mapped[int] = mapped_column(Integer)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    body_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)

    __table_args__ = (Index("ix_audit_logs_staff_id_id", "staff_id", "id"),)
