"""The SKU matrix rule on its own: exactly the cartesian product of the spec values, each once."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from qingmall.catalog.matrix import expected_spec_keys, validate_sku_matrix
from qingmall.catalog.schemas import SkuCreate, SpecDimension
from qingmall.core.errors import InvalidInput

COLOUR = SpecDimension(name="颜色", values=["黑", "白"])
SIZE = SpecDimension(name="尺码", values=["S", "M"])


def skus(*combos: list[str]) -> list[SkuCreate]:
    return [SkuCreate(spec_values=combo, price=100) for combo in combos]


def test_full_matrix_in_any_order_gives_keys_in_sku_order():
    result = validate_sku_matrix([COLOUR, SIZE], skus(["白", "M"], ["黑", "S"], ["白", "S"], ["黑", "M"]))
    assert result == ["白/M", "黑/S", "白/S", "黑/M"]


def test_product_without_specs_has_exactly_one_sku_without_values():
    assert validate_sku_matrix([], skus([])) == [""]
    for bad in (skus([], []), skus(["黑"])):
        with pytest.raises(InvalidInput) as error:
            validate_sku_matrix([], bad)
        assert error.value.code == "sku_matrix_invalid"


def test_missing_combination_is_named():
    with pytest.raises(InvalidInput) as error:
        validate_sku_matrix([COLOUR, SIZE], skus(["黑", "S"], ["黑", "M"], ["白", "S"]))
    assert error.value.code == "sku_combination_missing"
    assert error.value.message == "缺少规格组合：白/M（共 1 个）"
    assert error.value.details == {"missing": ["白/M"]}


def test_duplicate_combination_is_named():
    with pytest.raises(InvalidInput) as error:
        validate_sku_matrix([COLOUR], skus(["黑"], ["白"], ["黑"]))
    assert (error.value.code, error.value.message) == ("sku_duplicate", "规格组合「黑」重复")
    assert error.value.details == {"sku_index": 2, "spec_key": "黑"}


def test_unknown_value_names_dimension_and_value():
    with pytest.raises(InvalidInput) as error:
        validate_sku_matrix([COLOUR, SIZE], skus(["黑", "S"], ["紫", "M"]))
    assert error.value.code == "sku_spec_unknown_value"
    assert error.value.message == "第 2 个 SKU 的「颜色」值「紫」不在该规格的可选值中"


def test_wrong_number_of_values():
    with pytest.raises(InvalidInput) as error:
        validate_sku_matrix([COLOUR, SIZE], skus(["黑"]))
    assert error.value.code == "sku_spec_count_mismatch"
    assert error.value.message == "第 1 个 SKU 应有 2 个规格值（颜色、尺码），实际为 1 个"


def test_too_many_combinations_is_refused_before_checking_skus():
    dims = [SpecDimension(name=f"d{i}", values=[f"v{j}" for j in range(10)]) for i in range(3)]
    with pytest.raises(InvalidInput) as error:
        validate_sku_matrix(dims, skus(["v0", "v0", "v0"]))
    assert error.value.code == "too_many_skus"


@pytest.mark.parametrize(
    ("values", "message"),
    [([], "at least 1"), (["黑", "黑"], "重复"), (["黑/白"], "不能包含"), (["  "], "at least 1")],
)
def test_dimension_values_must_be_unique_non_empty_and_slash_free(values, message):
    with pytest.raises(ValidationError) as error:
        SpecDimension(name="颜色", values=values)
    assert message in str(error.value)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=3),
    seed=st.integers(min_value=0, max_value=10**6),
    drop=st.booleans(),
)
def test_any_permutation_of_the_product_passes_and_any_gap_is_reported(sizes, seed, drop):
    dims = [SpecDimension(name=f"维度{i}", values=[f"值{i}-{j}" for j in range(n)]) for i, n in enumerate(sizes)]
    keys = expected_spec_keys(dims)
    assert len(keys) == len(set(keys)) == math.prod(sizes)
    shuffled = keys[:]
    random.Random(seed).shuffle(shuffled)
    if drop:
        dropped = shuffled.pop()
        if not shuffled:
            return
        with pytest.raises(InvalidInput) as error:
            validate_sku_matrix(dims, skus(*[k.split("/") for k in shuffled]))
        assert error.value.code == "sku_combination_missing"
        assert error.value.details == {"missing": [dropped]}
    else:
        assert validate_sku_matrix(dims, skus(*[k.split("/") for k in shuffled])) == shuffled
