"""Catalog schemas: strict bounds on every input, no raw HTML anywhere (detail is a list of blocks)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from qingmall.reviews.schemas import ReviewSummary

MAX_PRICE = 10**9
MAX_STOCK = 10**7
MAX_SPEC_DIMENSIONS = 3
MAX_SKUS = 600

_CONTROL = re.compile(r"[\x00-\x1f\x7f\s]")
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f]")
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"


def _single_line(value: str) -> str:
    """No control characters (PostgreSQL refuses NUL; line breaks have no place in a name)."""
    if _LINE_BREAKING.search(value):
        raise ValueError("不能包含换行或控制字符")
    return value


def _plain_text(value: str) -> str:
    if _BINARY.search(value):
        raise ValueError("不能包含控制字符")
    return value


def _check_url(value: str) -> str:
    """An ``http(s)://`` URL or a site path (``/media/...``); nothing else (``javascript:``, ``//evil``)."""
    if value == "":
        return value
    if _CONTROL.search(value):
        raise ValueError("链接中不能包含空白或控制字符")
    if value.startswith("/"):
        if value.startswith("//") or "\\" in value or ".." in value.split("?")[0].split("/"):
            raise ValueError("站内路径不合法")
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("链接必须以 http:// 或 https:// 开头，或为站内路径")
    return value


Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=512), AfterValidator(_check_url)]
RequiredUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512), AfterValidator(_check_url)
]
_ONE_LINE = AfterValidator(_single_line)
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), _ONE_LINE]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), _ONE_LINE]
Subtitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255), _ONE_LINE]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), _ONE_LINE]
SpecName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), _ONE_LINE]
SpecValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30), _ONE_LINE]
Barcode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), _ONE_LINE]
Price = Annotated[int, Field(ge=0, le=MAX_PRICE)]
Ident = Annotated[int, Field(ge=1, le=2**63 - 1)]
SortOrder = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


def _unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what}「{value}」重复")
        seen.add(value)
    return values


class Strict(BaseModel):
    """Inputs reject unknown fields, so a misspelt or read-only field (``stock`` on update) is an error."""

    model_config = ConfigDict(extra="forbid")


# ---- categories -------------------------------------------------------------------------------------

class CategoryCreate(Strict):
    name: Name
    parent_id: Ident | None = None
    icon_url: Url = ""
    sort_order: SortOrder = 0
    is_visible: bool = True


class CategoryUpdate(Strict):
    """Only the fields sent are changed; ``parent_id: null`` moves the category to the top level."""

    name: Name | None = None
    parent_id: Ident | None = None
    icon_url: Url | None = None
    sort_order: SortOrder | None = None
    is_visible: bool | None = None


class CategoryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    name: str
    icon_url: str
    sort_order: int
    is_visible: bool


class CategoryNode(BaseModel):
    """A visible category with its visible children (the shopper's category page)."""

    id: int
    name: str
    icon_url: str
    children: list[CategoryNode] = Field(default_factory=list)


class CategoryRef(BaseModel):
    id: int
    name: str


# ---- products ---------------------------------------------------------------------------------------

class TextBlock(Strict):
    type: Literal["text"]
    text: Annotated[str, StringConstraints(min_length=1, max_length=5000), AfterValidator(_plain_text)]


class ImageBlock(Strict):
    type: Literal["image"]
    url: RequiredUrl


DetailBlock = Annotated[TextBlock | ImageBlock, Field(discriminator="type")]


class SpecDimension(Strict):
    """One spec dimension, e.g. ``{"name": "颜色", "values": ["黑", "白"]}``. ``/`` is reserved for spec keys."""

    name: SpecName
    values: Annotated[list[SpecValue], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _check(self) -> SpecDimension:
        _unique(self.values, f"规格「{self.name}」的值")
        for value in self.values:
            if "/" in value:
                raise ValueError(f"规格值「{value}」不能包含“/”")
        return self


class SkuFields(Strict):
    spec_values: Annotated[list[SpecValue], Field(max_length=MAX_SPEC_DIMENSIONS)] = Field(default_factory=list)
    price: Price
    original_price: Price = 0
    weight_grams: Annotated[int, Field(ge=0, le=10**7)] = 0
    barcode: Barcode = ""
    image_url: Url = ""
    max_per_order: Annotated[int, Field(ge=0, le=999)] = 0
    is_enabled: bool = True

    @model_validator(mode="after")
    def _check_original_price(self) -> SkuFields:
        if self.original_price and self.original_price < self.price:
            raise ValueError("划线价不能低于售价")
        return self


class SkuCreate(SkuFields):
    stock: Annotated[int, Field(ge=0, le=MAX_STOCK)] = 0


class SkuUpdate(SkuFields):
    """A SKU as edited: stock is not here, it changes only through the inventory service."""


class ProductFields(Strict):
    category_id: Ident
    title: Title
    subtitle: Subtitle = ""
    main_image_url: Url = ""
    images: Annotated[list[RequiredUrl], Field(max_length=20)] = Field(default_factory=list)
    video_url: Url = ""
    detail: Annotated[list[DetailBlock], Field(max_length=200)] = Field(default_factory=list)
    spec_dimensions: Annotated[list[SpecDimension], Field(max_length=MAX_SPEC_DIMENSIONS)] = Field(
        default_factory=list
    )
    tags: Annotated[list[Tag], Field(max_length=10)] = Field(default_factory=list)
    shipping_template_id: Ident | None = None
    sort_weight: SortOrder = 0
    virtual_sales: Annotated[int, Field(ge=0, le=MAX_STOCK)] = 0

    @model_validator(mode="after")
    def _check_lists(self) -> ProductFields:
        _unique([d.name for d in self.spec_dimensions], "规格名")
        _unique(self.tags, "标签")
        return self


class ProductCreate(ProductFields):
    skus: Annotated[list[SkuCreate], Field(min_length=1, max_length=MAX_SKUS)]
    is_on_shelf: bool = False


class ProductUpdate(ProductFields):
    """The whole editable product; SKUs are matched to existing ones by their spec values.

    Neither stock nor the shelf state is here: stock changes through the inventory service, the shelf
    through the shelf endpoints, so sending either is a 422 rather than a silent no-op.
    """

    skus: Annotated[list[SkuUpdate], Field(min_length=1, max_length=MAX_SKUS)]


class ShelfUpdate(Strict):
    is_on_shelf: bool


class BulkShelfUpdate(Strict):
    ids: Annotated[list[Ident], Field(min_length=1, max_length=200)]
    is_on_shelf: bool


class BulkShelfResult(BaseModel):
    updated_ids: list[int]
    skipped_ids: list[int] = Field(description="不存在的商品，或（上架时）没有可售规格的商品")


class SkuPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    spec_values: list[str]
    spec_key: str
    price: int
    original_price: int
    stock: int
    image_url: str
    max_per_order: int
    is_enabled: bool


class SkuAdmin(SkuPublic):
    weight_grams: int
    barcode: str
    sales_count: int


class ProductListItem(BaseModel):
    """A product card; ``sales`` is what shoppers see (real + virtual)."""

    id: int
    title: str
    subtitle: str
    main_image_url: str
    thumbnail_url: str
    price_min: int
    price_max: int
    original_price_min: int
    sales: int
    tags: list[str]
    in_stock: bool


class ProductDetail(BaseModel):
    """Everything a product page needs. ``review_summary`` is filled in by the reviews area."""

    id: int
    title: str
    subtitle: str
    category_id: int
    category_path: list[CategoryRef]
    main_image_url: str
    images: list[str]
    video_url: str
    detail: list[dict[str, Any]]
    spec_dimensions: list[dict[str, Any]]
    skus: list[SkuPublic]
    price_min: int
    price_max: int
    original_price_min: int
    stock_total: int
    in_stock: bool
    sales: int
    tags: list[str]
    shipping_template_id: int | None
    is_on_shelf: bool
    review_count: int
    good_review_count: int
    rating_average: float | None = Field(description="平均评分（1-5，一位小数），暂无评价时为 null")
    good_rate: int | None = Field(description="好评率（整数百分比，4-5 星占比），暂无评价时为 null")
    review_summary: ReviewSummary | None = None


class ProductAdminDetail(ProductDetail):
    skus: list[SkuAdmin]  # type: ignore[assignment]
    sales_count: int
    virtual_sales: int
    sort_weight: int
    created_at: datetime
    updated_at: datetime


class ProductAdminListItem(BaseModel):
    id: int
    title: str
    category_id: int
    main_image_url: str
    thumbnail_url: str
    price_min: int
    price_max: int
    stock_total: int
    sales_count: int
    is_on_shelf: bool
    updated_at: datetime


ProductSort = Literal["default", "sales", "price_asc", "price_desc", "newest"]


class MediaPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    thumbnail_url: str
    width: int
    height: int
    content_type: str
    size_bytes: int
