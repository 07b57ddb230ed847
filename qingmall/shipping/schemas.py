"""Shipping schemas: every rule is validated here before it is stored as JSON on the template."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from qingmall.core import regions
from qingmall.core.errors import NotFound
from qingmall.core.text import single_line

MAX_FEE = 10_000_000  # 100,000 yuan: far above any parcel, low enough to catch a typo in fen
MAX_UNITS = 1_000_000  # items, or grams (1 t)
MAX_REGIONS = 400

_CODE = re.compile(r"^\d{6}$")


def _check_region(code: str) -> str:
    if not _CODE.match(code):
        raise ValueError("地区编码必须是 6 位数字")
    try:
        regions.list_regions(code)
    except NotFound as exc:
        raise ValueError(f"地区编码 {code} 不存在") from exc
    return code


def _unique_codes(codes: list[str]) -> list[str]:
    if len(set(codes)) != len(codes):
        raise ValueError("地区编码重复")
    return codes


RegionCode = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_region)]
RegionList = Annotated[list[RegionCode], Field(max_length=MAX_REGIONS), AfterValidator(_unique_codes)]
Fee = Annotated[int, Field(ge=0, le=MAX_FEE)]
Units = Annotated[int, Field(ge=1, le=MAX_UNITS)]
TemplateName = single_line(64, min_length=1)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeeRuleSchema(Strict):
    """First ``first_units`` (items or grams) cost ``first_fee``; each started ``additional_units`` more."""

    first_units: Units
    first_fee: Fee
    additional_units: Units
    additional_fee: Fee


class RegionRuleSchema(FeeRuleSchema):
    regions: Annotated[RegionList, Field(min_length=1)]


class FreeRuleSchema(Strict):
    """Free when goods reach ``min_amount`` fen or ``min_quantity`` items; ``regions`` empty = everywhere."""

    regions: RegionList = []
    min_amount: Annotated[int, Field(ge=0, le=10**10)] | None = None
    min_quantity: Annotated[int, Field(ge=1, le=MAX_UNITS)] | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> FreeRuleSchema:
        if self.min_amount is None and self.min_quantity is None:
            raise ValueError("包邮条件需要满金额或满件数")
        return self


class ShippingTemplateCreate(Strict):
    name: TemplateName
    charge_by: Literal["piece", "weight"] = "piece"
    default_rule: FeeRuleSchema
    region_rules: Annotated[list[RegionRuleSchema], Field(max_length=50)] = []
    free_rules: Annotated[list[FreeRuleSchema], Field(max_length=20)] = []
    unshippable_regions: RegionList = []
    is_default: bool = False

    @model_validator(mode="after")
    def _regions_not_ambiguous(self) -> ShippingTemplateCreate:
        seen: set[str] = set()
        for rule in self.region_rules:
            for code in rule.regions:
                if code in seen:
                    raise ValueError(f"地区 {code} 出现在多条地区运费规则中")
                seen.add(code)
        clash = seen & set(self.unshippable_regions)
        if clash:
            raise ValueError(f"地区 {sorted(clash)[0]} 既设置了运费又设为不配送")
        return self


class ShippingTemplateUpdate(ShippingTemplateCreate):
    """A full replacement: a template is one value, edited and saved as a whole in the console."""


class FeeRulePublic(BaseModel):
    first_units: int
    first_fee: int
    additional_units: int
    additional_fee: int


class RegionRulePublic(FeeRulePublic):
    regions: list[str]


class FreeRulePublic(BaseModel):
    regions: list[str] = []
    min_amount: int | None = None
    min_quantity: int | None = None


class ShippingTemplatePublic(BaseModel):
    """A template as the console shows it; ``product_count`` is how many products use it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    charge_by: str
    default_rule: FeeRulePublic
    region_rules: list[RegionRulePublic]
    free_rules: list[FreeRulePublic]
    unshippable_regions: list[str]
    is_default: bool
    product_count: int = 0
    created_at: datetime
    updated_at: datetime
