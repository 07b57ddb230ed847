"""Cart schemas: quantities 1..999, at most 100 lines, ids bounded so no input can reach the database raw."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qingmall.core.errors import InvalidInput
from qingmall.core.storage import WithThumbnail

MAX_QUANTITY = 999
MAX_LINES = 100

Id = Annotated[int, Field(ge=1, le=2**62)]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]


def parse_ids(values: list[str]) -> list[int]:
    """``["1,2", "3"] -> [1, 2, 3]``: ids given as repeated or comma-separated query parameters."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not (part.isascii() and part.isdigit()) or len(part) > 18 or int(part) < 1:
                raise InvalidInput(f"商品行编号不合法：{part[:20]}", code="invalid_input")
            ids.append(int(part))
    if not ids:
        raise InvalidInput("请提供要删除的商品行 ids", code="invalid_input")
    if len(ids) > MAX_LINES:
        raise InvalidInput(f"一次最多删除 {MAX_LINES} 行", code="invalid_input")
    return ids


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CartItemCreate(Strict):
    """Add ``quantity`` of a SKU; an existing line for the SKU grows by that much."""

    sku_id: Id
    quantity: Quantity = 1


class CartItemUpdate(Strict):
    quantity: Quantity | None = None
    selected: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> CartItemUpdate:
        if self.quantity is None and self.selected is None:
            raise ValueError("请提供 quantity 或 selected")
        return self


class CartSelect(Strict):
    """Tick or untick lines: the given ``item_ids``, or every line with ``all: true``."""

    selected: bool
    item_ids: Annotated[list[Id], Field(max_length=MAX_LINES)] | None = None
    all: bool = False

    @model_validator(mode="after")
    def _one_target(self) -> CartSelect:
        if self.all == (self.item_ids is not None):
            raise ValueError("请提供 item_ids 或 all（二选一）")
        return self


class CartLinePublic(WithThumbnail):
    """One cart line with the product as it is now; ``status`` says whether it can be checked out."""

    id: int
    sku_id: int
    spu_id: int
    title: str
    spec_text: str
    image_url: str
    price: int
    price_when_added: int
    price_change: int
    price_changed: str | None
    quantity: int
    selected: bool
    stock: int
    max_per_order: int
    status: str
    status_text: str


class CartGroupPublic(BaseModel):
    """``available`` lines (ok or short of stock: the quantity can be lowered) and ``unavailable`` ones."""

    key: str
    title: str
    lines: list[CartLinePublic]


class CartPublic(BaseModel):
    """The cart; ``selected_*`` totals count only selected lines whose status is ``ok``."""

    groups: list[CartGroupPublic]
    line_count: int
    total_quantity: int
    selected_quantity: int
    selected_amount: int
    all_selected: bool
    max_lines: int = MAX_LINES
