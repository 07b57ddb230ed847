"""Shipping templates through the merchant API: validation, one default, delete refused while in use."""

from __future__ import annotations

from sqlalchemy import select

from qingmall.shipping.models import ShippingTemplate
from tests.factories import make_product, make_staff, staff_headers

URL = "/api/admin/v1/shipping-templates"


def body(**overrides):
    data = {
        "name": "全国按重量",
        "charge_by": "weight",
        "default_rule": {"first_units": 1000, "first_fee": 1000, "additional_units": 500, "additional_fee": 300},
        "region_rules": [
            {"regions": ["650000", "540000"], "first_units": 1000, "first_fee": 2500, "additional_units": 500,
             "additional_fee": 800},
        ],
        "free_rules": [{"regions": [], "min_amount": 9900}],
        "unshippable_regions": [],
        "is_default": False,
    }
    data.update(overrides)
    return data


async def test_create_read_update_template(client, session):
    staff = await make_staff(session)
    headers = staff_headers(staff)
    # when a template is created
    created = await client.post(URL, headers=headers, json=body())
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["default_rule"] == {
        "first_units": 1000, "first_fee": 1000, "additional_units": 500, "additional_fee": 300,
    }
    assert template["region_rules"][0]["regions"] == ["650000", "540000"]
    assert template["free_rules"] == [{"regions": [], "min_amount": 9900, "min_quantity": None}]
    assert template["product_count"] == 0
    # when it is replaced with a piece template
    updated = await client.put(
        f"{URL}/{template['id']}", headers=headers,
        json=body(name="按件", charge_by="piece", region_rules=[], free_rules=[],
                  default_rule={"first_units": 1, "first_fee": 800, "additional_units": 1, "additional_fee": 200}),
    )
    assert updated.status_code == 200, updated.text
    changed = updated.json()
    assert (changed["name"], changed["charge_by"], changed["region_rules"]) == ("按件", "piece", [])
    # then the list shows it
    listed = await client.get(URL, headers=headers)
    assert [t["name"] for t in listed.json()] == ["按件"]


async def test_only_one_template_is_default(client, session):
    headers = staff_headers(await make_staff(session))
    first = (await client.post(URL, headers=headers, json=body(name="A", is_default=True))).json()
    second = (await client.post(URL, headers=headers, json=body(name="B", is_default=True))).json()
    listed = (await client.get(URL, headers=headers)).json()
    assert [(t["id"], t["is_default"]) for t in listed] == [(second["id"], True), (first["id"], False)]


async def test_delete_is_refused_while_products_use_the_template(client, session):
    headers = staff_headers(await make_staff(session))
    template = (await client.post(URL, headers=headers, json=body())).json()
    spu = await make_product(session, shipping_template_id=template["id"])
    # when deleted while a product uses it
    refused = await client.delete(f"{URL}/{template['id']}", headers=headers)
    # then 409 and it is still there
    assert refused.status_code == 409
    assert refused.json()["code"] == "template_in_use"
    assert refused.json()["details"] == {"product_count": 1}
    # when the product no longer uses it, deletion works
    spu.shipping_template_id = None
    await session.commit()
    assert (await client.delete(f"{URL}/{template['id']}", headers=headers)).status_code == 204
    assert (await session.scalars(select(ShippingTemplate))).all() == []
    await session.rollback()  # on SQLite an open read transaction holds the write lock
    assert (await client.get(f"{URL}/{template['id']}", headers=headers)).status_code == 404


async def test_invalid_rules_are_422(client, session):
    headers = staff_headers(await make_staff(session))
    bad_bodies = [
        body(region_rules=[{"regions": ["12345"], "first_units": 1, "first_fee": 1, "additional_units": 1,
                            "additional_fee": 1}]),
        body(region_rules=[{"regions": ["999999"], "first_units": 1, "first_fee": 1, "additional_units": 1,
                            "additional_fee": 1}]),
        body(unshippable_regions=["650000"]),
        body(default_rule={"first_units": 0, "first_fee": 1, "additional_units": 1, "additional_fee": 1}),
        body(default_rule={"first_units": 1, "first_fee": -1, "additional_units": 1, "additional_fee": 1}),
        body(free_rules=[{"regions": []}]),
        body(charge_by="volume"),
        body(name=""),
    ]
    for bad in bad_bodies:
        response = await client.post(URL, headers=headers, json=bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["code"] == "invalid_input"
    assert (await client.get(URL, headers=headers)).json() == []


async def test_permissions(client, session):
    reader = staff_headers(await make_staff(session, role="customer_service"))
    assert (await client.get(URL, headers=reader)).status_code == 200
    refused = await client.post(URL, headers=reader, json=body())
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert (await client.get(URL)).status_code == 401
