"""Category tree: merchant CRUD with permissions, delete guards, the shopper's visible tree."""

from __future__ import annotations

from tests.catalog.conftest import simple_payload

ADMIN = "/api/admin/v1/categories"


async def create(client, headers, **body):
    response = await client.post(ADMIN, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_owner_creates_nested_categories_and_shopper_sees_sorted_visible_tree(client, owner):
    digital = await create(client, owner, name="数码", sort_order=2)
    food = await create(client, owner, name="食品", sort_order=1)
    phones = await create(client, owner, name="手机", parent_id=digital["id"], sort_order=5)
    audio = await create(client, owner, name="耳机", parent_id=digital["id"], sort_order=5)
    await create(client, owner, name="隐藏", parent_id=digital["id"], is_visible=False)
    hidden_root = await create(client, owner, name="内部", is_visible=False)
    await create(client, owner, name="内部子类", parent_id=hidden_root["id"])
    android = await create(client, owner, name="安卓", parent_id=phones["id"])

    response = await client.get("/api/v1/categories")

    assert response.status_code == 200
    assert response.json() == [
        {"id": food["id"], "name": "食品", "icon_url": "", "children": []},
        {
            "id": digital["id"], "name": "数码", "icon_url": "",
            "children": [
                {"id": phones["id"], "name": "手机", "icon_url": "", "children": [
                    {"id": android["id"], "name": "安卓", "icon_url": "", "children": []},
                ]},
                {"id": audio["id"], "name": "耳机", "icon_url": "", "children": []},
            ],
        },
    ]


async def test_update_renames_moves_and_hides(client, owner):
    a = await create(client, owner, name="A")
    b = await create(client, owner, name="B")

    response = await client.patch(
        f"{ADMIN}/{b['id']}", json={"name": "B2", "parent_id": a["id"], "is_visible": False}, headers=owner
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": b["id"], "parent_id": a["id"], "name": "B2", "icon_url": "", "sort_order": 0, "is_visible": False,
    }
    moved_back = await client.patch(f"{ADMIN}/{b['id']}", json={"parent_id": None}, headers=owner)
    assert moved_back.json()["parent_id"] is None
    listing = await client.get(ADMIN, headers=owner)
    assert [c["name"] for c in listing.json()] == ["A", "B2"]


async def test_moves_that_would_make_a_cycle_or_a_fourth_level_are_refused(client, owner):
    a = await create(client, owner, name="一级")
    b = await create(client, owner, name="二级", parent_id=a["id"])
    c = await create(client, owner, name="三级", parent_id=b["id"])
    other = await create(client, owner, name="另一个一级")
    other_child = await create(client, owner, name="另一个二级", parent_id=other["id"])

    to_self = await client.patch(f"{ADMIN}/{a['id']}", json={"parent_id": a["id"]}, headers=owner)
    to_descendant = await client.patch(f"{ADMIN}/{a['id']}", json={"parent_id": c["id"]}, headers=owner)
    too_deep = await client.patch(f"{ADMIN}/{b['id']}", json={"parent_id": other_child["id"]}, headers=owner)
    fourth = await client.post(ADMIN, json={"name": "四级", "parent_id": c["id"]}, headers=owner)
    no_parent = await client.post(ADMIN, json={"name": "x", "parent_id": 999}, headers=owner)

    assert (to_self.status_code, to_self.json()["code"]) == (422, "category_cycle")
    assert (to_descendant.status_code, to_descendant.json()["code"]) == (422, "category_cycle")
    assert (too_deep.status_code, too_deep.json()["code"]) == (422, "category_too_deep")
    assert (fourth.status_code, fourth.json()["code"]) == (422, "category_too_deep")
    assert (no_parent.status_code, no_parent.json()["code"]) == (422, "category_parent_not_found")


async def test_delete_refused_while_category_has_children_or_products(client, owner):
    parent = await create(client, owner, name="数码")
    child = await create(client, owner, name="手机", parent_id=parent["id"])
    product = await client.post("/api/admin/v1/products", json=simple_payload(child["id"]), headers=owner)
    assert product.status_code == 201

    with_children = await client.delete(f"{ADMIN}/{parent['id']}", headers=owner)
    with_products = await client.delete(f"{ADMIN}/{child['id']}", headers=owner)

    assert (with_children.status_code, with_children.json()["code"]) == (409, "category_has_children")
    assert (with_products.status_code, with_products.json()["code"]) == (409, "category_has_products")
    empty = await create(client, owner, name="空类目")
    assert (await client.delete(f"{ADMIN}/{empty['id']}", headers=owner)).status_code == 204
    gone = await client.get(f"{ADMIN}/{empty['id']}", headers=owner)
    assert (gone.status_code, gone.json()["code"]) == (404, "category_not_found")
    assert (await client.delete(f"{ADMIN}/{empty['id']}", headers=owner)).status_code == 404


async def test_customer_service_reads_but_cannot_write(client, owner, support):
    category = await create(client, owner, name="数码")

    assert (await client.get(ADMIN, headers=support)).status_code == 200
    assert (await client.get(f"{ADMIN}/{category['id']}", headers=support)).status_code == 200
    attempts = [
        await client.post(ADMIN, json={"name": "x"}, headers=support),
        await client.patch(f"{ADMIN}/{category['id']}", json={"name": "x"}, headers=support),
        await client.delete(f"{ADMIN}/{category['id']}", headers=support),
    ]
    assert [(r.status_code, r.json()["code"]) for r in attempts] == [(403, "permission_denied")] * 3
    assert (await client.get(ADMIN)).status_code == 401


async def test_bad_category_input_is_422_never_500(client, owner):
    category = await create(client, owner, name="数码")
    cases = [
        await client.post(ADMIN, json={"name": ""}, headers=owner),
        await client.post(ADMIN, json={"name": "x" * 65}, headers=owner),
        await client.post(ADMIN, json={"name": "x", "icon_url": "javascript:alert(1)"}, headers=owner),
        await client.post(ADMIN, json={"name": "x", "sort_order": 10**9}, headers=owner),
        await client.post(ADMIN, json={"name": "x", "unknown": 1}, headers=owner),
        await client.post(ADMIN, json={"name": "x\x00"}, headers=owner),
        await client.patch(f"{ADMIN}/{category['id']}", json={"name": None}, headers=owner),
        await client.get(f"{ADMIN}/0", headers=owner),
        await client.get(f"{ADMIN}/99999999999999999999", headers=owner),
    ]
    assert [r.status_code for r in cases] == [422] * 9
