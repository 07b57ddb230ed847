"""Product CSV imports: one row per uploaded file, holding its text, its progress and its per-row errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, BigId, IdMixin, TimestampMixin, UTCDateTime


class ProductImport(IdMixin, TimestampMixin, Base):
    """A product CSV import job. The database is the record; the huey job only works through it.

    ``source`` is the decoded CSV text (the upload is capped, see ``catalog.transfer``). Products are the
    file's rows grouped by SPU key and processed in file order; ``done`` counts products processed, so a
    job that died is resumed from ``done`` by whoever takes the lease next (the periodic sweep, or a poll
    of the import). ``lease_until`` is the claim of the worker processing it: a job is taken only when
    pending or when its lease has run out, by a conditional UPDATE, so two workers never run one import.
    ``attempts`` counts claims; past the limit the import is marked failed instead of being retried forever.
    ``errors`` is ``[{"row": n, "column": "售价(元)", "message": "..."}]`` with file row numbers (header = 1).
    """

    __tablename__ = "product_imports"

    staff_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("staff.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    encoding: Mapped[str] = mapped_column(String(16), default="utf-8")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    source: Mapped[str] = mapped_column(Text, default="")
    row_count: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message: Mapped[str] = mapped_column(String(255), default="")

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name="status_known"),
        Index("ix_product_imports_status", "status", "id"),
    )
