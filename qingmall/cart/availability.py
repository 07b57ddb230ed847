"""What the cart and checkout need to know about a SKU, and whether a quantity of it can be bought now.

Read-only: one query loads SKUs with their SPU; ``check`` turns stock and shelf state into one status
code and a Chinese reason. The order of checks is the order a shopper cares about: a product that is off
the shelf is reported as such even if it is also out of stock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.models import Sku, Spu

OK = "ok"
OFF_SHELF = "off_shelf"
SKU_DISABLED = "sku_disabled"
SOLD_OUT = "sold_out"
INSUFFICIENT_STOCK = "insufficient_stock"
EXCEEDS_MAX_PER_ORDER = "exceeds_max_per_order"

STATUS_TEXT = {
    OK: "",
    OFF_SHELF: "商品已下架",
    SKU_DISABLED: "该规格已停售",
    SOLD_OUT: "已售罄",
    INSUFFICIENT_STOCK: "库存不足",
}


def spec_text(dimension_names: list[str], values: list[str]) -> str:
    """``["颜色", "尺码"], ["黑", "M"] -> "颜色:黑 尺码:M"``; values without a dimension name stand alone."""
    parts = []
    for i, value in enumerate(values):
        name = dimension_names[i] if i < len(dimension_names) else ""
        parts.append(f"{name}:{value}" if name else value)
    return " ".join(parts)


@dataclass(frozen=True)
class SkuView:
    """A SKU as a shopper sees it in the cart or at checkout (current price, stock and shelf state)."""

    sku_id: int
    spu_id: int
    title: str
    spec_text: str
    image_url: str
    price: int
    stock: int
    weight_grams: int
    max_per_order: int
    is_enabled: bool
    is_on_shelf: bool
    shipping_template_id: int | None

    def check(self, quantity: int) -> tuple[str, str]:
        """``(status, reason)`` for buying ``quantity`` now; ``("ok", "")`` when it can be bought."""
        if not self.is_on_shelf:
            return OFF_SHELF, STATUS_TEXT[OFF_SHELF]
        if not self.is_enabled:
            return SKU_DISABLED, STATUS_TEXT[SKU_DISABLED]
        if self.stock <= 0:
            return SOLD_OUT, STATUS_TEXT[SOLD_OUT]
        if self.stock < quantity:
            return INSUFFICIENT_STOCK, f"库存不足，仅剩 {self.stock} 件"
        return OK, ""

    def exceeds_limit(self, quantity: int) -> bool:
        return self.max_per_order > 0 and quantity > self.max_per_order

    @property
    def limit_text(self) -> str:
        return f"每单限购 {self.max_per_order} 件"


async def load_sku_views(session: AsyncSession, sku_ids: Iterable[int]) -> dict[int, SkuView]:
    """The SKUs that exist among ``sku_ids`` (missing ones are simply absent). Does not commit."""
    wanted = sorted(set(sku_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            Sku.id, Sku.spu_id, Sku.spec_values, Sku.image_url, Sku.price, Sku.stock, Sku.weight_grams,
            Sku.max_per_order, Sku.is_enabled, Spu.title, Spu.main_image_url, Spu.spec_dimensions, Spu.is_on_shelf,
            Spu.shipping_template_id,
        )
        .join(Spu, Spu.id == Sku.spu_id)
        .where(Sku.id.in_(wanted))
    )
    views: dict[int, SkuView] = {}
    for row in rows.all():
        names = [str(d.get("name", "")) for d in (row.spec_dimensions or []) if isinstance(d, dict)]
        views[row.id] = SkuView(
            sku_id=row.id,
            spu_id=row.spu_id,
            title=row.title,
            spec_text=spec_text(names, [str(v) for v in row.spec_values or []]),
            image_url=row.image_url or row.main_image_url,
            price=row.price,
            stock=row.stock,
            weight_grams=row.weight_grams,
            max_per_order=row.max_per_order,
            is_enabled=row.is_enabled,
            is_on_shelf=row.is_on_shelf,
            shipping_template_id=row.shipping_template_id,
        )
    return views
