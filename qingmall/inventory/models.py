"""Tables of the inventory area: the stock ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core import clock
from qingmall.core.db import Base, BigId, IdMixin, UTCDateTime


class StockMovement(IdMixin, Base):
    """One change of one SKU's stock, with the stock right after it: the ledger that explains every number.

    ``reason`` is one of ``inventory.service.REASONS``; ``ref_type``/``ref_id`` point at what caused it
    (an order, a staff adjustment, a return). For every SKU, the latest ``stock_after`` equals ``skus.stock``.
    """

    __tablename__ = "stock_movements"

    sku_id: Mapped[int] = mapped_column(BigId, ForeignKey("skus.id", ondelete="CASCADE"))
    spu_id: Mapped[int] = mapped_column(BigId, ForeignKey("spus.id", ondelete="CASCADE"))
    delta: Mapped[int] = mapped_column()
    stock_after: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(32))
    ref_type: Mapped[str] = mapped_column(String(32), default="")
    ref_id: Mapped[str] = mapped_column(String(64), default="")
    staff_id: Mapped[int | None] = mapped_column(BigId)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (
        Index("ix_stock_movements_sku_id", "sku_id", "id"),
        Index("ix_stock_movements_spu_id", "spu_id", "id"),
    )
