"""Schemas of the product CSV import (the export is a file, it has none)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field


class ImportRowError(BaseModel):
    row: int = Field(description="文件中的行号（表头为第 1 行）")
    column: str = Field(description="列名，如 售价(元)；空 = 整行/整个商品")
    message: str


class ProductImportPublic(BaseModel):
    """An import's state: ``pending`` → ``running`` → ``done`` (or ``failed`` if it could not finish).

    ``total`` counts products (rows grouped by 商品ID / 商品名称), ``done`` those processed so far;
    ``created + updated + failed == done``.
    """

    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    encoding: str
    status: str
    row_count: int
    total: int
    done: int
    created: int
    updated: int
    failed: int
    errors: list[ImportRowError]
    message: str
    created_at: datetime
    finished_at: datetime | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent(self) -> int:
        """Progress 0..100 (100 only once the import has finished)."""
        if self.status in ("done", "failed"):
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0
