"""Merchant product editing: SKU matrix, reconciliation on edit, shelf, list filters, permissions."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select, update

from qingmall.catalog.models import Category, Sku, Spu
from qingmall.catalog.service import refresh_spu
from qingmall.inventory.models import StockMovement
from qingmall.shipping.models import ShippingTemplate
from tests.catalog.conftest import simple_payload, tee_payload

PRODUCTS = "/api/admin/v1/products"


async def create(client, headers, payload):
    response = await client.post(PRODUCTS, json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def as_update(detail_payload: dict) -> dict:
    """A create payload turned into an update payload (no stock, no shelf flag)."""
    body = copy.deepcopy(detail_payload)
    body.pop("is_on_shelf", None)
    for sku in body["skus"]:
        sku.pop("stock", None)
    return body


async def test_create_product_with_matrix_sets_summary_and_ledgers_initial_stock(client, owner, category, session):
    product = await create(client, owner, tee_payload(category.id))

    assert product["spec_dimensions"] == [
        {"name": "颜色", "values": ["黑", "白"]}, {"name": "尺码", "values": ["S", "M", "L"]},
    ]
    assert [s["spec_key"] for s in product["skus"]] == ["黑/S", "黑/M", "黑/L", "白/S", "白/M", "白/L"]
    assert [s["price"] for s in product["skus"]] == [9900, 10000, 10100, 10200, 10300, 10400]
    assert (product["price_min"], product["price_max"], product["original_price_min"]) == (9900, 10400, 19900)
    assert (product["stock_total"], product["in_stock"], product["is_on_shelf"]) == (60, True, True)
    assert product["main_image_url"] == "/media/a.jpg"
    assert product["category_path"] == [{"id": category.id, "name": "手机"}]
    movements = (await session.scalars(select(StockMovement).order_by(StockMovement.sku_id))).all()
    assert [(m.sku_id, m.delta, m.stock_after, m.reason) for m in movements] == [
        (s["id"], 10, 10, "initial") for s in product["skus"]
    ]


async def test_product_without_specs_has_one_sku(client, owner, category):
    product = await create(client, owner, simple_payload(category.id, price=1234))

    assert [(s["spec_values"], s["spec_key"], s["price"], s["stock"]) for s in product["skus"]] == [([], "", 1234, 5)]
    assert (product["price_min"], product["price_max"], product["original_price_min"]) == (1234, 1234, 0)


@pytest.mark.parametrize(
    ("skus", "code", "message"),
    [
        (
            [["黑", "S"], ["黑", "M"], ["黑", "L"], ["白", "S"], ["白", "M"]],
            "sku_combination_missing", "缺少规格组合：白/L（共 1 个）",
        ),
        (
            [["黑", "S"], ["黑", "M"], ["黑", "L"], ["白", "S"], ["白", "M"], ["白", "L"], ["黑", "S"]],
            "sku_duplicate", "规格组合「黑/S」重复",
        ),
        (
            [["黑", "S"], ["黑", "M"], ["黑", "XL"], ["白", "S"], ["白", "M"], ["白", "L"]],
            "sku_spec_unknown_value", "第 3 个 SKU 的「尺码」值「XL」不在该规格的可选值中",
        ),
    ],
)
async def test_matrix_errors_are_422_with_clear_message(client, owner, category, skus, code, message):
    payload = tee_payload(category.id, skus=[{"spec_values": v, "price": 100} for v in skus])

    response = await client.post(PRODUCTS, json=payload, headers=owner)

    assert response.status_code == 422
    assert (response.json()["code"], response.json()["message"]) == (code, message)


BAD_PRODUCT_CHANGES = [
    {"skus": [{"price": 10**9 + 1}]},
    {"skus": [{"price": -1}]},
    {"skus": [{"price": 500, "original_price": 400}]},
    {"skus": [{"price": 1, "stock": -1}]},
    {"skus": []},
    {"title": ""},
    {"title": "长" * 121},
    {"detail": [{"type": "html", "html": "<script>alert(1)</script>"}]},
    {"detail": [{"type": "image", "url": "javascript:alert(1)"}]},
    {"detail": [{"type": "text", "text": "x", "html": "<b>"}]},
    {"images": ["//evil.example.com/x.jpg"]},
    {"images": ["/media/../../etc/passwd"]},
    {"video_url": "ftp://example.com/v.mp4"},
    {"spec_dimensions": [{"name": f"维度{i}", "values": ["a"]} for i in range(4)]},
    {"spec_dimensions": [{"name": "颜色", "values": ["黑"]}, {"name": "颜色", "values": ["白"]}]},
    {"spec_dimensions": [{"name": "颜色", "values": []}]},
    {"tags": ["新品", "新品"]},
    {"category_id": 0},
    {"shipping_template_id": 0},
    {"stock_total": 5},
    {"title": "a\x00b"},
    {"category_id": 2**63},
    {"shipping_template_id": 2**64},
    {"tags": ["换\n行"]},
    {"detail": [{"type": "text", "text": "正文\x00"}]},
    {"skus": [{"price": 1, "barcode": "69\x00"}]},
    {"spec_dimensions": [{"name": "颜色", "values": ["黑\x00"]}], "skus": [{"spec_values": ["黑\x00"], "price": 1}]},
]


async def test_bad_product_input_is_422(client, owner, category):
    statuses = []
    for change in BAD_PRODUCT_CHANGES:
        response = await client.post(PRODUCTS, json={**simple_payload(category.id), **change}, headers=owner)
        statuses.append((response.status_code, response.json()["code"]))

    assert statuses == [(422, "invalid_input")] * len(BAD_PRODUCT_CHANGES)


async def test_references_must_exist(client, owner, category, session):
    unknown_category = await client.post(PRODUCTS, json=simple_payload(999), headers=owner)
    unknown_template = await client.post(
        PRODUCTS, json=simple_payload(category.id, shipping_template_id=999), headers=owner
    )
    template = ShippingTemplate(name="包邮")
    session.add(template)
    await session.commit()
    with_template = await client.post(
        PRODUCTS, json=simple_payload(category.id, shipping_template_id=template.id), headers=owner
    )

    assert (unknown_category.status_code, unknown_category.json()["code"]) == (422, "category_not_found")
    assert (unknown_template.status_code, unknown_template.json()["code"]) == (422, "shipping_template_not_found")
    assert with_template.status_code == 201
    assert with_template.json()["shipping_template_id"] == template.id


async def test_on_shelf_product_needs_an_enabled_sku(client, owner, category):
    payload = simple_payload(category.id, skus=[{"price": 100, "is_enabled": False}])

    response = await client.post(PRODUCTS, json=payload, headers=owner)

    assert (response.status_code, response.json()["code"]) == (422, "product_has_no_enabled_sku")


async def test_update_keeps_existing_skus_adds_new_and_disables_removed(client, owner, category, session):
    payload = tee_payload(category.id)
    product = await create(client, owner, payload)
    ids = {s["spec_key"]: s["id"] for s in product["skus"]}
    await session.execute(update(Sku).where(Sku.id == ids["黑/S"]).values(stock=3, sales_count=7))
    await session.commit()

    body = as_update(payload)
    body["title"] = "纯棉短袖T恤 2024款"
    body["spec_dimensions"] = [{"name": "颜色", "values": ["黑", "白", "红"]}, {"name": "尺码", "values": ["S", "M"]}]
    body["skus"] = [
        {"spec_values": [c, s], "price": 5000 if (c, s) == ("红", "M") else 8000}
        for c in ["黑", "白", "红"] for s in ["S", "M"]
    ]
    response = await client.put(f"{PRODUCTS}/{product['id']}", json=body, headers=owner)

    assert response.status_code == 200, response.text
    after = response.json()
    by_key = {s["spec_key"]: s for s in after["skus"]}
    assert [s["spec_key"] for s in after["skus"]] == ["黑/S", "黑/M", "白/S", "白/M", "红/S", "红/M", "黑/L", "白/L"]
    assert {k: (s["id"] == ids.get(k), s["stock"], s["is_enabled"], s["price"]) for k, s in by_key.items()} == {
        "黑/S": (True, 3, True, 8000), "黑/M": (True, 10, True, 8000),
        "白/S": (True, 10, True, 8000), "白/M": (True, 10, True, 8000),
        "红/S": (False, 0, True, 8000), "红/M": (False, 0, True, 5000),
        "黑/L": (True, 10, False, 10100), "白/L": (True, 10, False, 10400),
    }
    assert by_key["黑/S"]["sales_count"] == 7
    assert (after["title"], after["price_min"], after["price_max"], after["stock_total"]) == (
        "纯棉短袖T恤 2024款", 5000, 8000, 33,
    )
    shopper_view = (await client.get(f"/api/v1/products/{product['id']}")).json()
    assert [s["spec_key"] for s in shopper_view["skus"]] == ["黑/S", "黑/M", "白/S", "白/M", "红/S", "红/M"]

    body["spec_dimensions"] = payload["spec_dimensions"]
    body["skus"] = [{"spec_values": s["spec_values"], "price": 100} for s in payload["skus"]]
    restored = (await client.put(f"{PRODUCTS}/{product['id']}", json=body, headers=owner)).json()
    assert {s["spec_key"]: (s["id"], s["is_enabled"]) for s in restored["skus"]} == {
        **{k: (i, True) for k, i in ids.items()},
        "红/S": (by_key["红/S"]["id"], False), "红/M": (by_key["红/M"]["id"], False),
    }
    assert await session.scalar(select(Sku.id).where(Sku.spu_id == product["id"]).order_by(Sku.id.desc())) == max(
        s["id"] for s in restored["skus"]
    )


async def test_update_cannot_set_stock_and_unknown_product_is_404(client, owner, category):
    payload = simple_payload(category.id)
    product = await create(client, owner, payload)
    body = as_update(payload)

    with_stock = await client.put(
        f"{PRODUCTS}/{product['id']}", json={**body, "skus": [{"price": 1, "stock": 99}]}, headers=owner
    )
    unknown = await client.put(f"{PRODUCTS}/999", json=body, headers=owner)

    assert with_stock.status_code == 422
    assert with_stock.json()["details"][0]["field"] == "skus.0.stock"
    assert (unknown.status_code, unknown.json()["code"]) == (404, "product_not_found")
    assert (await client.get(f"{PRODUCTS}/999", headers=owner)).status_code == 404


async def test_shelf_single_and_bulk(client, owner, category, session):
    a = await create(client, owner, simple_payload(category.id, title="A"))
    b = await create(client, owner, simple_payload(category.id, title="B", is_on_shelf=False))
    disabled = [{"price": 1, "is_enabled": False}]
    no_sku = await create(client, owner, simple_payload(category.id, title="C", is_on_shelf=False, skus=disabled))

    off = await client.post(f"{PRODUCTS}/{a['id']}/shelf", json={"is_on_shelf": False}, headers=owner)
    assert (off.status_code, off.json()["is_on_shelf"]) == (200, False)
    assert (await client.get(f"/api/v1/products/{a['id']}")).status_code == 404
    assert (await client.get(f"{PRODUCTS}/{a['id']}", headers=owner)).json()["title"] == "A"

    bulk = await client.post(
        f"{PRODUCTS}/shelf", json={"ids": [a["id"], b["id"], no_sku["id"], 999], "is_on_shelf": True}, headers=owner
    )
    assert bulk.json() == {"updated_ids": [a["id"], b["id"]], "skipped_ids": [no_sku["id"], 999]}
    assert (await client.get(f"/api/v1/products/{b['id']}")).status_code == 200

    refused = await client.post(f"{PRODUCTS}/{no_sku['id']}/shelf", json={"is_on_shelf": True}, headers=owner)
    unknown = await client.post(f"{PRODUCTS}/999/shelf", json={"is_on_shelf": True}, headers=owner)
    assert (refused.status_code, refused.json()["code"]) == (422, "product_has_no_enabled_sku")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "product_not_found")
    shelf = dict((await session.execute(select(Spu.title, Spu.is_on_shelf))).all())
    assert shelf == {"A": True, "B": True, "C": False}


async def test_admin_list_filters_and_pages(client, owner, session):
    root = Category(name="数码")
    session.add(root)
    await session.flush()
    child = Category(name="手机", parent_id=root.id)
    other = Category(name="食品")
    session.add_all([child, other])
    await session.commit()
    phone_sku = {"price": 1, "stock": 2, "barcode": "690123"}
    phone = await create(client, owner, simple_payload(child.id, title="华为手机", skus=[phone_sku]))
    case = await create(client, owner, simple_payload(root.id, title="手机壳 100%棉", is_on_shelf=False))
    snack = await create(client, owner, simple_payload(other.id, title="坚果", skus=[{"price": 1, "stock": 50}]))

    async def ids(**params):
        response = await client.get(PRODUCTS, params=params, headers=owner)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [snack["id"], case["id"], phone["id"]]
    assert await ids(keyword="手机") == [case["id"], phone["id"]]
    assert await ids(keyword="%") == [case["id"]]
    assert await ids(keyword="_") == []
    nul = await client.get(PRODUCTS, params={"keyword": "手机\x00"}, headers=owner)
    assert (nul.status_code, nul.json()["code"]) == (422, "invalid_input")
    assert await ids(keyword="690123") == [phone["id"]]
    assert await ids(keyword=str(snack["id"])) == [snack["id"]]
    assert await ids(category_id=root.id) == [case["id"], phone["id"]]
    assert await ids(category_id=child.id) == [phone["id"]]
    assert await ids(is_on_shelf="false") == [case["id"]]
    assert await ids(low_stock="true") == [case["id"], phone["id"]]
    assert await ids(low_stock="true", low_stock_threshold=2) == [phone["id"]]
    first = (await client.get(PRODUCTS, params={"limit": 2}, headers=owner)).json()
    second = (await client.get(PRODUCTS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=owner)).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [snack["id"], case["id"], phone["id"]]
    assert second["next_cursor"] is None
    assert first["items"][0] | {"updated_at": None} == {
        "id": snack["id"], "title": "坚果", "category_id": other.id, "main_image_url": "", "thumbnail_url": "",
        "price_min": 1, "price_max": 1, "stock_total": 50, "sales_count": 0, "is_on_shelf": True, "updated_at": None,
    }


async def test_customer_service_can_read_products_but_not_change_them(client, owner, support, category):
    product = await create(client, owner, simple_payload(category.id))
    payload = simple_payload(category.id)

    reads = [
        await client.get(PRODUCTS, headers=support),
        await client.get(f"{PRODUCTS}/{product['id']}", headers=support),
    ]
    writes = [
        await client.post(PRODUCTS, json=payload, headers=support),
        await client.put(f"{PRODUCTS}/{product['id']}", json=as_update(payload), headers=support),
        await client.post(f"{PRODUCTS}/{product['id']}/shelf", json={"is_on_shelf": False}, headers=support),
        await client.post(f"{PRODUCTS}/shelf", json={"ids": [product["id"]], "is_on_shelf": False}, headers=support),
    ]

    assert [r.status_code for r in reads] == [200, 200]
    assert [(r.status_code, r.json()["code"]) for r in writes] == [(403, "permission_denied")] * 4


async def test_refresh_spu_recomputes_summary_from_enabled_skus(client, owner, category, session):
    product = await create(client, owner, tee_payload(category.id))
    ids = [s["id"] for s in product["skus"]]
    await session.execute(update(Sku).where(Sku.id == ids[0]).values(is_enabled=False))
    await session.execute(update(Sku).where(Sku.id == ids[1]).values(stock=0, original_price=0))
    await session.commit()

    await refresh_spu(session, product["id"])
    await session.commit()

    row = (await session.execute(select(Spu.price_min, Spu.price_max, Spu.original_price_min))).one()
    assert tuple(row) == (10000, 10400, 0)
