"""Shipping-fee arithmetic: exact examples, and properties checked by Hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingmall.shipping.rules import (
    FeeRule,
    FreeRule,
    RegionRule,
    ShippingLine,
    TemplateRules,
    Unshippable,
    calculate_fee,
    calculate_shipping,
    most_specific_first,
)

BEIJING = ("110000", "110100", "110105")
XINJIANG = ("650000", "650100", "650102")


def weight_template(**overrides) -> TemplateRules:
    """First 1000 g for 10.00, each further 500 g for 3.00; Xinjiang costs more; Tibet is not served."""
    fields = {
        "template_id": 1,
        "name": "按重量",
        "charge_by": "weight",
        "default_rule": FeeRule(1000, 1000, 500, 300),
        "region_rules": (RegionRule(frozenset({"650000"}), FeeRule(1000, 2500, 500, 800)),),
        "free_rules": (),
        "unshippable_regions": frozenset({"540000"}),
    }
    fields.update(overrides)
    return TemplateRules(**fields)


def line(quantity: int, grams: int = 0, price: int = 1000, sku_id: int = 1, template_id: int | None = 1):
    return ShippingLine(
        sku_id=sku_id, quantity=quantity, unit_weight_grams=grams, goods_amount=price * quantity,
        template_id=template_id,
    )


@pytest.mark.parametrize(
    ("grams", "fee"),
    [(1, 1000), (1000, 1000), (1001, 1300), (1500, 1300), (1501, 1600), (3000, 2200)],
)
def test_weight_fee_charges_every_started_block(grams, fee):
    quote = calculate_fee(weight_template(), [line(1, grams)], BEIJING)
    assert (quote.fee, quote.rule, quote.units) == (fee, "default", grams)


def test_region_rule_beats_default_and_city_beats_province():
    # given a province rule for Xinjiang and a city rule for Urumqi
    template = weight_template(
        region_rules=(
            RegionRule(frozenset({"650000"}), FeeRule(1000, 2500, 500, 800)),
            RegionRule(frozenset({"650100"}), FeeRule(1000, 1800, 500, 500)),
        )
    )
    # then Urumqi uses the city rule, another Xinjiang city the province rule, Beijing the default
    assert calculate_fee(template, [line(1, 2000)], XINJIANG).fee == 1800 + 2 * 500
    assert calculate_fee(template, [line(1, 2000)], ("650000", "650200", "650202")).fee == 2500 + 2 * 800
    assert calculate_fee(template, [line(1, 2000)], BEIJING).fee == 1000 + 2 * 300


def test_piece_fee_counts_items_across_lines():
    template = weight_template(charge_by="piece", default_rule=FeeRule(1, 600, 2, 200), region_rules=())
    quote = calculate_fee(template, [line(2, sku_id=1), line(2, sku_id=2)], BEIJING)
    # 4 items: first 1 for 6.00, then 3 more = 2 started blocks of 2 at 2.00
    assert (quote.fee, quote.units) == (1000, 4)


def test_free_rule_by_amount_or_quantity_and_by_region():
    template = weight_template(
        free_rules=(
            FreeRule(frozenset(), min_amount=9900),
            FreeRule(frozenset({"110000"}), min_quantity=3),
        )
    )
    assert calculate_fee(template, [line(1, 500, price=9900)], XINJIANG).fee == 0
    assert calculate_fee(template, [line(1, 500, price=9899)], XINJIANG).fee == 2500
    assert calculate_fee(template, [line(3, 500, price=100)], BEIJING).rule == "free"
    assert calculate_fee(template, [line(3, 500, price=100)], XINJIANG).fee == 2500 + 1 * 800


def test_unshippable_region_raises_even_when_free():
    template = weight_template(free_rules=(FreeRule(frozenset(), min_amount=0),))
    with pytest.raises(Unshippable) as caught:
        calculate_fee(template, [line(1, 100)], ("540000", "540100", "540102"))
    assert caught.value.code == "unshippable_region"


def test_no_destination_prices_by_default_rule():
    assert calculate_fee(weight_template(), [line(1, 1200)], ()).fee == 1300


def test_each_template_is_charged_once_and_products_without_one_use_the_default():
    # given two templates and a shop default
    a = weight_template(template_id=1, charge_by="piece", default_rule=FeeRule(1, 500, 1, 100), region_rules=())
    b = weight_template(template_id=2, charge_by="piece", default_rule=FeeRule(1, 800, 1, 0), region_rules=())
    default = weight_template(template_id=3, charge_by="piece", default_rule=FeeRule(1, 1000, 1, 0), region_rules=())
    lines = [
        line(2, sku_id=10, template_id=1),
        line(1, sku_id=11, template_id=1),
        line(5, sku_id=12, template_id=2),
        line(1, sku_id=13, template_id=None),
    ]
    # when quoted together
    quote = calculate_shipping(lines, {1: a, 2: b}, default, BEIJING)
    # then template 1 charges 3 items once (5.00 + 2 x 1.00), template 2 once (8.00), the default once (10.00)
    assert [(p.template_id, p.fee) for p in quote.parts] == [(1, 700), (2, 800), (3, 1000)]
    assert quote.fee == 2500


def test_without_a_default_template_unassigned_products_ship_free():
    quote = calculate_shipping([line(3, template_id=None)], {}, None, BEIJING)
    assert (quote.fee, quote.parts[0].rule) == (0, "no_template")


def test_unshippable_lines_are_collected_not_raised():
    a = weight_template(template_id=1)
    b = weight_template(template_id=2, unshippable_regions=frozenset())
    tibet = ("540000", "540100", "540102")
    quote = calculate_shipping([line(1, 100, sku_id=7, template_id=1), line(1, 100, sku_id=8, template_id=2)],
                               {1: a, 2: b}, None, tibet)
    assert quote.unshippable_sku_ids == (7,)
    assert quote.fee == 1000


def test_most_specific_first_orders_district_city_province():
    assert most_specific_first(["110000", "110105", "110100", ""]) == ["110105", "110100", "110000"]


# ---- properties -----------------------------------------------------------------------------------------

fee_rules = st.builds(
    FeeRule,
    first_units=st.integers(1, 5000),
    first_fee=st.integers(0, 100_000),
    additional_units=st.integers(1, 5000),
    additional_fee=st.integers(0, 100_000),
)
destinations = st.sampled_from([BEIJING, XINJIANG, ("310000", "310100", "310101"), ()])


@st.composite
def templates(draw, free: bool = True):
    region_rules = ()
    if draw(st.booleans()):
        region_rules = (RegionRule(frozenset({"650000"}), draw(fee_rules)),
                        RegionRule(frozenset({"110100"}), draw(fee_rules)))
    free_rules = ()
    if free and draw(st.booleans()):
        free_rules = (FreeRule(frozenset(draw(st.sampled_from([(), ("110000",)]))),
                               min_amount=draw(st.integers(0, 10**6)) if draw(st.booleans()) else None,
                               min_quantity=draw(st.integers(1, 50))),)
    return TemplateRules(
        template_id=1, name="t", charge_by=draw(st.sampled_from(["piece", "weight"])),
        default_rule=draw(fee_rules), region_rules=region_rules, free_rules=free_rules,
    )


line_lists = st.lists(
    st.builds(line, quantity=st.integers(1, 999), grams=st.integers(0, 20_000), price=st.integers(0, 10**6),
              sku_id=st.integers(1, 10**6)),
    min_size=1, max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(templates(), line_lists, destinations)
def test_fee_is_never_negative(template, lines, destination):
    assert calculate_fee(template, lines, destination).fee >= 0


@settings(max_examples=150, deadline=None)
@given(templates(free=False), line_lists, destinations, st.integers(1, 500))
def test_fee_never_decreases_when_quantity_grows_without_free_rules(template, lines, destination, extra):
    before = calculate_fee(template, lines, destination).fee
    grown = [*lines[:-1], line(lines[-1].quantity + extra, lines[-1].unit_weight_grams, sku_id=lines[-1].sku_id)]
    assert calculate_fee(template, grown, destination).fee >= before


@settings(max_examples=100, deadline=None)
@given(templates(free=False), line_lists, destinations)
def test_a_met_free_rule_gives_zero(template, lines, destination):
    free = TemplateRules(**{**template.__dict__, "free_rules": (FreeRule(frozenset(), min_quantity=1),)})
    quote = calculate_fee(free, lines, destination)
    assert (quote.fee, quote.rule) == (0, "free")


@settings(max_examples=50, deadline=None)
@given(templates(), line_lists)
def test_an_unshippable_destination_always_raises(template, lines):
    blocked = TemplateRules(**{**template.__dict__, "unshippable_regions": frozenset({"650100"})})
    with pytest.raises(Unshippable):
        calculate_fee(blocked, lines, XINJIANG)
