"""Shipping templates: how much delivery costs, by region, by piece or by weight."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, IdMixin, TimestampMixin


class ShippingTemplate(IdMixin, TimestampMixin, Base):
    """A named fee schedule attached to SPUs (fields are completed by the shipping area)."""

    __tablename__ = "shipping_templates"

    name: Mapped[str] = mapped_column(String(64))
