"""Shipping templates: how much delivery costs, by region, by piece or by weight."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, IdMixin, TimestampMixin


class ShippingTemplate(IdMixin, TimestampMixin, Base):
    """A named fee schedule attached to SPUs (``spus.shipping_template_id``); at most one is the shop default.

    Rules are stored as JSON, validated by ``shipping.schemas`` on every write and parsed into frozen
    ``shipping.rules`` values on every read. Why JSON rather than child tables: a template is one value that
    is always read and written whole (``calculate_fee`` needs every rule at once), nothing ever queries a
    single rule or "which templates mention region X", and a template has a handful of rules. Child tables
    would cost three more tables and a join on every checkout for no query we run.

    - ``charge_by``: ``piece`` (units are items) or ``weight`` (units are grams).
    - ``default_rule``: ``{"first_units", "first_fee", "additional_units", "additional_fee"}`` (fen).
    - ``region_rules``: ``[{"regions": ["110000", "310100"], <the four fields above>}]``; a region code
      appears in at most one rule.
    - ``free_rules``: ``[{"regions": [] (= everywhere), "min_amount": fen | null, "min_quantity": n | null}]``.
    - ``unshippable_regions``: codes that cannot be shipped to at all.
    """

    __tablename__ = "shipping_templates"

    name: Mapped[str] = mapped_column(String(64))
    charge_by: Mapped[str] = mapped_column(String(8), default="piece")
    default_rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    region_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    free_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    unshippable_regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_default: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        CheckConstraint("charge_by IN ('piece', 'weight')", name="charge_by_known"),
        Index(
            "uq_shipping_templates_one_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )
