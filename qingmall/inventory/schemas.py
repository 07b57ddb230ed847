"""Schemas of the inventory area."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qingmall.core.text import multi_line

Note = multi_line(200)


class StockAdjustmentCreate(BaseModel):
    """A staff adjustment: positive delta puts goods in, negative takes them out."""

    model_config = ConfigDict(extra="forbid")

    delta: int = Field(ge=-1_000_000, le=1_000_000)
    reason: Literal["adjust_in", "adjust_out", "stocktake", "damaged", "return_in"]
    note: Note = ""


class StockAdjustmentResult(BaseModel):
    sku_id: int
    stock: int


class StockMovementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku_id: int
    spu_id: int
    delta: int
    stock_after: int
    reason: str
    reason_label: str = ""
    ref_type: str
    ref_id: str
    staff_id: int | None
    note: str
    created_at: datetime
