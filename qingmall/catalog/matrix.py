"""The SKU matrix rule: the SKUs of a product are exactly the cartesian product of its spec values.

Pure functions (no session), so the rule is tested on its own and reused by create and update.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from math import prod

from qingmall.catalog.schemas import MAX_SKUS, SkuFields, SpecDimension
from qingmall.core.errors import InvalidInput

SPEC_SEPARATOR = "/"


def spec_key(values: Sequence[str]) -> str:
    """``["黑", "M"] -> "黑/M"``; unambiguous because spec values may not contain ``/``."""
    return SPEC_SEPARATOR.join(values)


def expected_spec_keys(dimensions: Sequence[SpecDimension] | Sequence[dict]) -> list[str]:
    """Every combination's key in matrix order (first dimension slowest); ``[""]`` without dimensions."""
    value_lists = [d["values"] if isinstance(d, dict) else d.values for d in dimensions]
    return [spec_key(combo) for combo in product(*value_lists)]


def validate_sku_matrix(dimensions: Sequence[SpecDimension], skus: Sequence[SkuFields]) -> list[str]:
    """Check that ``skus`` cover every combination of ``dimensions`` exactly once; return their spec keys.

    Raises ``InvalidInput`` with a code naming the first problem: ``sku_spec_count_mismatch``,
    ``sku_spec_unknown_value``, ``sku_duplicate``, ``sku_combination_missing``, ``too_many_skus``, or
    ``sku_matrix_invalid`` for a product without specs that does not have exactly one SKU.
    """
    if not dimensions:
        if len(skus) != 1 or skus[0].spec_values:
            raise InvalidInput(
                "无规格商品必须有且只有一个 SKU，且该 SKU 的规格值为空", code="sku_matrix_invalid"
            )
        return [""]
    combinations = prod(len(d.values) for d in dimensions)
    if combinations > MAX_SKUS:
        raise InvalidInput(
            f"规格组合共 {combinations} 个，最多允许 {MAX_SKUS} 个", code="too_many_skus"
        )
    names = "、".join(d.name for d in dimensions)
    keys: list[str] = []
    seen: set[str] = set()
    for number, sku in enumerate(skus, start=1):
        if len(sku.spec_values) != len(dimensions):
            raise InvalidInput(
                f"第 {number} 个 SKU 应有 {len(dimensions)} 个规格值（{names}），实际为 {len(sku.spec_values)} 个",
                code="sku_spec_count_mismatch",
                details={"sku_index": number - 1},
            )
        for dimension, value in zip(dimensions, sku.spec_values, strict=True):
            if value not in dimension.values:
                raise InvalidInput(
                    f"第 {number} 个 SKU 的「{dimension.name}」值「{value}」不在该规格的可选值中",
                    code="sku_spec_unknown_value",
                    details={"sku_index": number - 1, "dimension": dimension.name, "value": value},
                )
        key = spec_key(sku.spec_values)
        if key in seen:
            raise InvalidInput(
                f"规格组合「{key}」重复", code="sku_duplicate", details={"sku_index": number - 1, "spec_key": key}
            )
        seen.add(key)
        keys.append(key)
    missing = [key for key in expected_spec_keys(dimensions) if key not in seen]
    if missing:
        shown = "、".join(missing[:5]) + ("等" if len(missing) > 5 else "")
        raise InvalidInput(
            f"缺少规格组合：{shown}（共 {len(missing)} 个）",
            code="sku_combination_missing",
            details={"missing": missing[:50]},
        )
    return keys
