"""Pure shipping-fee arithmetic: no database, no clock, integer fen and grams only.

A template charges ``first_fee`` for the first ``first_units`` (items or grams) and ``additional_fee``
for every started block of ``additional_units`` after that. Which rule applies depends on where the
parcel goes: the most specific matching region wins (district over city over province over the default
rule). Free-shipping rules and unshippable regions are checked first. Invariants (Hypothesis-tested):
a fee is never negative, never decreases when a quantity grows (unless a free rule kicks in), and is 0
whenever a free rule applies; an unshippable destination raises ``Unshippable``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qingmall.core.errors import Conflict

CHARGE_BY = ("piece", "weight")


class Unshippable(Conflict):
    """The destination is in a template's unshippable regions."""

    code = "unshippable_region"


def region_level(code: str) -> int:
    """3 for a district, 2 for a city (``XXXX00``), 1 for a province (``XX0000``): higher is more specific."""
    if code.endswith("0000"):
        return 1
    if code.endswith("00"):
        return 2
    return 3


def most_specific_first(region_codes: Iterable[str]) -> list[str]:
    """The destination's codes ordered district, city, province (duplicates and blanks dropped)."""
    unique = {code for code in region_codes if code}
    return sorted(unique, key=lambda code: (-region_level(code), code))


@dataclass(frozen=True)
class FeeRule:
    """First units for a first fee, then a fee per started block of additional units."""

    first_units: int
    first_fee: int
    additional_units: int
    additional_fee: int

    def fee(self, units: int) -> int:
        """The fee for ``units`` items or grams of one parcel (a parcel of weightless items costs the first fee)."""
        extra = max(0, units - self.first_units)
        blocks = -(-extra // self.additional_units) if self.additional_units > 0 else 0
        return self.first_fee + blocks * self.additional_fee

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FeeRule:
        return cls(
            first_units=int(raw["first_units"]),
            first_fee=int(raw["first_fee"]),
            additional_units=int(raw["additional_units"]),
            additional_fee=int(raw["additional_fee"]),
        )


@dataclass(frozen=True)
class RegionRule:
    regions: frozenset[str]
    rule: FeeRule


@dataclass(frozen=True)
class FreeRule:
    """Free shipping to ``regions`` (empty = everywhere) when goods reach ``min_amount`` or ``min_quantity``."""

    regions: frozenset[str]
    min_amount: int | None = None
    min_quantity: int | None = None

    def applies_to(self, destination: Sequence[str]) -> bool:
        return not self.regions or any(code in self.regions for code in destination)

    def is_met(self, amount: int, quantity: int) -> bool:
        by_amount = self.min_amount is not None and amount >= self.min_amount
        by_quantity = self.min_quantity is not None and quantity >= self.min_quantity
        return by_amount or by_quantity


@dataclass(frozen=True)
class TemplateRules:
    """One template as a value (parsed from ``ShippingTemplate`` by ``from_model``)."""

    template_id: int | None
    name: str
    charge_by: str
    default_rule: FeeRule
    region_rules: tuple[RegionRule, ...] = ()
    free_rules: tuple[FreeRule, ...] = ()
    unshippable_regions: frozenset[str] = frozenset()

    @classmethod
    def from_model(cls, template: Any) -> TemplateRules:
        return cls(
            template_id=template.id,
            name=template.name,
            charge_by=template.charge_by,
            default_rule=FeeRule.from_dict(template.default_rule),
            region_rules=tuple(
                RegionRule(frozenset(raw["regions"]), FeeRule.from_dict(raw)) for raw in template.region_rules or []
            ),
            free_rules=tuple(
                FreeRule(frozenset(raw.get("regions") or ()), raw.get("min_amount"), raw.get("min_quantity"))
                for raw in template.free_rules or []
            ),
            unshippable_regions=frozenset(template.unshippable_regions or ()),
        )


@dataclass(frozen=True)
class ShippingLine:
    """What shipping needs to know about one order line: how many, how heavy (per unit), how much."""

    sku_id: int
    quantity: int
    unit_weight_grams: int
    goods_amount: int
    template_id: int | None = None


@dataclass(frozen=True)
class FeeQuote:
    """The fee one template charges over its own lines, and which rule produced it."""

    fee: int
    template_id: int | None
    rule: str  # "default" | "region" | "free" | "no_template" | "empty"
    units: int = 0


@dataclass(frozen=True)
class ShippingQuote:
    """The fee over all lines: each template charged once over its own lines."""

    fee: int
    parts: tuple[FeeQuote, ...] = ()
    unshippable_sku_ids: tuple[int, ...] = field(default=())


def _units(charge_by: str, lines: Sequence[ShippingLine]) -> int:
    if charge_by == "weight":
        return sum(line.unit_weight_grams * line.quantity for line in lines)
    return sum(line.quantity for line in lines)


def calculate_fee(template: TemplateRules, lines: Sequence[ShippingLine], region_codes: Iterable[str]) -> FeeQuote:
    """The fee ``template`` charges for ``lines`` sent to ``region_codes`` (province, city, district codes).

    Raises ``Unshippable`` when any destination code is unshippable. With no destination (no address yet)
    only region-free rules apply and the default rule prices the parcel.
    """
    destination = most_specific_first(region_codes)
    if any(code in template.unshippable_regions for code in destination):
        raise Unshippable("该地区暂不支持配送", details={"template_id": template.template_id})
    if not lines:
        return FeeQuote(fee=0, template_id=template.template_id, rule="empty")
    units = _units(template.charge_by, lines)
    amount = sum(line.goods_amount for line in lines)
    quantity = sum(line.quantity for line in lines)
    for free in template.free_rules:
        if free.applies_to(destination) and free.is_met(amount, quantity):
            return FeeQuote(fee=0, template_id=template.template_id, rule="free", units=units)
    for code in destination:
        for region_rule in template.region_rules:
            if code in region_rule.regions:
                return FeeQuote(
                    fee=region_rule.rule.fee(units), template_id=template.template_id, rule="region", units=units
                )
    return FeeQuote(fee=template.default_rule.fee(units), template_id=template.template_id, rule="default", units=units)


def calculate_shipping(
    lines: Sequence[ShippingLine],
    templates: Mapping[int, TemplateRules],
    default_template: TemplateRules | None,
    region_codes: Iterable[str],
) -> ShippingQuote:
    """Group lines by their template (the shop default for lines without one; free if there is no default),
    charge each template once over its lines, and collect the SKUs that cannot be shipped instead of raising.
    """
    destination = tuple(region_codes)
    groups: dict[int | None, list[ShippingLine]] = {}
    chosen: dict[int | None, TemplateRules | None] = {}
    for line in lines:
        template = templates.get(line.template_id) if line.template_id is not None else None
        template = template or default_template
        key = template.template_id if template is not None else None
        groups.setdefault(key, []).append(line)
        chosen[key] = template
    parts: list[FeeQuote] = []
    unshippable: list[int] = []
    for key in sorted(groups, key=lambda k: (k is None, k or 0)):
        template = chosen[key]
        group = groups[key]
        if template is None:
            parts.append(FeeQuote(fee=0, template_id=None, rule="no_template"))
            continue
        try:
            parts.append(calculate_fee(template, group, destination))
        except Unshippable:
            unshippable.extend(line.sku_id for line in group)
    return ShippingQuote(fee=sum(p.fee for p in parts), parts=tuple(parts), unshippable_sku_ids=tuple(unshippable))
