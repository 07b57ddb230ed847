"""Shopper product list and product page: sorting, keyset pages, filters, hidden products, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, update

from qingmall.catalog import service
from qingmall.catalog.models import Category, Spu
from qingmall.catalog.schemas import CategoryCreate, ProductCreate
from qingmall.core import clock
from qingmall.core.pagination import encode_cursor

LIST = "/api/v1/products"

# title, price, sort_weight, sales_count, virtual_sales: ties on every key, so order needs the id tie-break
ROWS = [
    ("甲", 300, 0, 5, 0),
    ("乙", 100, 0, 0, 5),
    ("丙", 300, 10, 1, 0),
    ("丁", 200, 0, 5, 0),
    ("戊", 100, 10, 0, 0),
    ("己", 500, 0, 9, 1),
    ("庚", 200, 0, 0, 0),
]


@pytest.fixture
async def shop(session):
    """Seven on-shelf products created a minute apart, one off-shelf product, all in one category."""
    category = await service.create_category(session, CategoryCreate(name="杂货"))
    made = {}
    for title, price, weight, sales, virtual in ROWS:
        spu = await service.create_product(
            session,
            ProductCreate(
                category_id=category.id, title=title, skus=[{"price": price, "stock": 1}], is_on_shelf=True,
                sort_weight=weight, virtual_sales=virtual, tags=["热卖"] if price == 300 else [],
            ),
            None,
        )
        await session.execute(update(Spu).where(Spu.id == spu.id).values(sales_count=sales))
        await session.commit()
        made[title] = {"id": spu.id, "price": price, "weight": weight, "sales": sales + virtual}
        clock.advance(timedelta(minutes=1))
    hidden = await service.create_product(
        session, ProductCreate(category_id=category.id, title="下架", skus=[{"price": 1}]), None
    )
    return {"category": category, "products": made, "hidden_id": hidden.id}


def expected(products: dict, sort: str) -> list[int]:
    rows = list(products.values())
    keys = {
        "default": lambda p: (-p["weight"], -p["sales"], -p["id"]),
        "sales": lambda p: (-p["sales"], -p["id"]),
        "price_asc": lambda p: (p["price"], p["id"]),
        "price_desc": lambda p: (-p["price"], -p["id"]),
        "newest": lambda p: -p["id"],
    }
    return [p["id"] for p in sorted(rows, key=keys[sort])]


async def all_pages(client, limit: int, **params) -> tuple[list[int], int]:
    ids, cursor, pages = [], None, 0
    while True:
        response = await client.get(LIST, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        ids += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages


async def test_every_sort_pages_without_duplicates_or_gaps(client, shop):
    for sort in ("default", "sales", "price_asc", "price_desc", "newest"):
        everything, pages = await all_pages(client, 20, sort=sort)
        paged, small_pages = await all_pages(client, 2, sort=sort)

        assert everything == expected(shop["products"], sort), sort
        assert paged == everything, sort
        assert (pages, small_pages) == (1, 4), sort


async def test_default_order_is_weight_then_visible_sales_then_newest(client, shop):
    titles = [i["title"] for i in (await client.get(LIST)).json()["items"]]

    assert titles == ["丙", "戊", "己", "丁", "乙", "甲", "庚"]


async def test_list_item_has_card_fields_only_on_shelf(client, shop):
    items = (await client.get(LIST, params={"sort": "price_desc"})).json()["items"]

    assert shop["hidden_id"] not in [i["id"] for i in items]
    assert items[0] == {
        "id": shop["products"]["己"]["id"], "title": "己", "subtitle": "", "main_image_url": "", "thumbnail_url": "",
        "price_min": 500, "price_max": 500, "original_price_min": 0, "sales": 10, "tags": [], "in_stock": True,
    }


async def test_category_filter_includes_descendants_and_tag_filter_matches_exactly(client, session, shop):
    root = shop["category"]
    child = Category(name="子类", parent_id=root.id)
    other = Category(name="别的")
    session.add_all([child, other])
    await session.flush()
    await session.execute(update(Spu).where(Spu.title == "甲").values(category_id=child.id))
    await session.execute(update(Spu).where(Spu.title == "乙").values(category_id=other.id))
    await session.commit()
    products = shop["products"]

    under_root, _ = await all_pages(client, 3, category_id=root.id, sort="newest")
    under_child, _ = await all_pages(client, 3, category_id=child.id)
    tagged, _ = await all_pages(client, 3, tag="热卖", sort="newest")
    unknown = (await client.get(LIST, params={"category_id": 999})).json()

    assert under_root == [p["id"] for t, p in reversed(products.items()) if t != "乙"]
    assert under_child == [products["甲"]["id"]]
    assert tagged == [products["丙"]["id"], products["甲"]["id"]]
    assert (await client.get(LIST, params={"tag": "热"})).json()["items"] == []
    assert unknown == {"items": [], "next_cursor": None}


async def test_list_is_one_query_per_page(client, db, shop):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        first = (await client.get(LIST, params={"limit": 3, "category_id": shop["category"].id})).json()
        await client.get(LIST, params={"limit": 3, "cursor": first["next_cursor"], "category_id": shop["category"].id})
        await client.get(LIST, params={"limit": 3, "keyword": "甲"})
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)

    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) == 3


BAD_LIST_PARAMS = [
    {"limit": 0}, {"limit": 51}, {"limit": "x"}, {"sort": "random"}, {"category_id": 0},
    {"category_id": 2**64}, {"keyword": ""}, {"keyword": "长" * 51}, {"cursor": "%%%"},
    {"cursor": "bm90IGpzb24"}, {"cursor": encode_cursor(["sales:all", 1, 2])},
    {"cursor": encode_cursor(["default:all", "1", 2, 3])}, {"cursor": encode_cursor(["default:all", 1, 2, 2**63])},
    {"cursor": encode_cursor(["newest:all", "yesterday", 3]), "sort": "newest"},
    {"cursor": encode_cursor(["newest:all", "2024-01-01T00:00:00", 3]), "sort": "newest"},
    {"cursor": encode_cursor(["default:and", 1.5, 3]), "keyword": "甲", "sort": "sales"},
    {"cursor": encode_cursor([1, 2, 3, 4])},
    {"keyword": "手机\x00"},
    {"tag": "热\x00卖"},
    {"keyword": "换\n行"},
]


async def test_bad_list_input_is_422_never_500(client):
    answers = []
    for params in BAD_LIST_PARAMS:
        response = await client.get(LIST, params=params)
        answers.append((response.status_code, response.json()["code"] in ("invalid_input", "invalid_cursor")))

    assert answers == [(422, True)] * len(BAD_LIST_PARAMS)


async def test_product_page_has_everything_and_hides_off_shelf(client, session, shop):
    spu_id = shop["products"]["甲"]["id"]

    response = await client.get(f"/api/v1/products/{spu_id}")

    assert response.status_code == 200
    body = response.json()
    assert body | {"skus": None} == {
        "id": spu_id, "title": "甲", "subtitle": "", "category_id": shop["category"].id,
        "category_path": [{"id": shop["category"].id, "name": "杂货"}], "main_image_url": "", "images": [],
        "video_url": "", "detail": [], "spec_dimensions": [], "skus": None, "price_min": 300, "price_max": 300,
        "original_price_min": 0, "stock_total": 1, "in_stock": True, "sales": 5, "tags": ["热卖"],
        "shipping_template_id": None, "is_on_shelf": True, "review_count": 0, "good_review_count": 0,
        "rating_average": None, "good_rate": None,
        "review_summary": {
            "review_count": 0, "average_rating": None, "good_count": 0, "good_rate": None,
            "with_photos_count": 0, "latest": [],
        },
    }
    assert [(s["spec_key"], s["price"], s["stock"], s["is_enabled"]) for s in body["skus"]] == [("", 300, 1, True)]
    hidden = await client.get(f"/api/v1/products/{shop['hidden_id']}")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "product_not_found")
    assert (await client.get("/api/v1/products/999999")).status_code == 404
    assert (await client.get("/api/v1/products/0")).status_code == 422
    assert (await client.get(f"/api/v1/products/{2**63}")).status_code == 422
    assert (await client.get("/api/v1/products/abc")).status_code == 422
