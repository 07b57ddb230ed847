"""Favourites (idempotent, 404 for unknown products, cursor pages) and browsing history (latest view wins,
capped per shopper, cleared on request)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from qingmall.core import clock
from qingmall.core.pagination import encode_cursor
from qingmall.shoppers import favourite_service
from qingmall.shoppers.models import Favourite, ViewedProduct
from qingmall.shoppers.service import record_view
from tests.factories import make_category, make_product, make_shopper, shopper_headers


@pytest.fixture
async def shopper(session):
    return await make_shopper(session)


@pytest.fixture
def headers(shopper):
    return shopper_headers(shopper)


async def products(session, count: int, **fields):
    category = await make_category(session)
    return [
        await make_product(
            session, title=f"商品{i}", category=category, skus=[{"price": 100 * (i + 1), "stock": 5}], **fields
        )
        for i in range(count)
    ]


async def test_favouriting_is_idempotent_and_lists_the_product_card(client, headers, session):
    (spu,) = await products(session, 1)
    first = await client.post(f"/api/v1/favourites/{spu.id}", headers=headers)
    second = await client.post(f"/api/v1/favourites/{spu.id}", headers=headers)
    assert first.json() == second.json() == {"spu_id": spu.id, "is_favourite": True}
    assert (await session.execute(select(func.count()).select_from(Favourite))).scalar_one() == 1
    await session.commit()  # end the read transaction (SQLite holds its lock until then)

    page = (await client.get("/api/v1/favourites", headers=headers)).json()
    assert page["next_cursor"] is None
    [item] = page["items"]
    assert {k: v for k, v in item.items() if k != "favourited_at"} == {
        "spu_id": spu.id,
        "title": "商品0",
        "main_image_url": "/media/test.png",
        "price_min": 100,
        "price_max": 100,
        "is_on_shelf": True,
    }
    state = await client.get(f"/api/v1/favourites/{spu.id}", headers=headers)
    assert state.json() == {"spu_id": spu.id, "is_favourite": True}


async def test_unknown_or_off_shelf_products_cannot_be_favourited(client, headers, session):
    (hidden,) = await products(session, 1, on_shelf=False)
    for spu_id in (hidden.id, 999999):
        response = await client.post(f"/api/v1/favourites/{spu_id}", headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "product_not_found"
    assert (await client.post("/api/v1/favourites/0", headers=headers)).status_code == 422
    assert (await client.post(f"/api/v1/favourites/{2**63}", headers=headers)).status_code == 422


async def test_unfavouriting_is_idempotent(client, headers, session):
    (spu,) = await products(session, 1)
    await client.post(f"/api/v1/favourites/{spu.id}", headers=headers)
    assert (await client.delete(f"/api/v1/favourites/{spu.id}", headers=headers)).status_code == 204
    assert (await client.delete(f"/api/v1/favourites/{spu.id}", headers=headers)).status_code == 204
    assert (await client.get(f"/api/v1/favourites/{spu.id}", headers=headers)).json()["is_favourite"] is False
    assert (await client.get("/api/v1/favourites", headers=headers)).json()["items"] == []


async def test_favourites_page_newest_first_and_stay_private(client, headers, session):
    spus = await products(session, 5)
    for spu in spus:
        await client.post(f"/api/v1/favourites/{spu.id}", headers=headers)
    seen, cursor = [], None
    for _ in range(3):
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/favourites", params=params, headers=headers)).json()
        seen.append([item["spu_id"] for item in page["items"]])
        cursor = page["next_cursor"]
    ids = [spu.id for spu in reversed(spus)]
    assert seen == [ids[0:2], ids[2:4], ids[4:5]]
    assert cursor is None
    stranger = shopper_headers(await make_shopper(session))
    assert (await client.get("/api/v1/favourites", headers=stranger)).json()["items"] == []


async def test_a_favourite_that_went_off_shelf_is_still_listed_as_such(client, headers, session):
    (spu,) = await products(session, 1)
    await client.post(f"/api/v1/favourites/{spu.id}", headers=headers)
    spu.is_on_shelf = False
    await session.commit()
    [item] = (await client.get("/api/v1/favourites", headers=headers)).json()["items"]
    assert item["is_on_shelf"] is False


async def test_bad_cursors_and_limits_are_422(client, headers):
    for params in [
        {"cursor": "!!!"},
        {"cursor": encode_cursor(["x"])},
        {"cursor": encode_cursor([True])},
        {"cursor": base64.urlsafe_b64encode(b"[1180591620717411303424]").decode()},
        {"cursor": encode_cursor([1, 2])},
        {"limit": 0},
        {"limit": 51},
    ]:
        response = await client.get("/api/v1/favourites", params=params, headers=headers)
        assert response.status_code == 422, params
    for params in [{"cursor": encode_cursor(["yesterday", 1])}, {"cursor": encode_cursor(["2026-01-01T00:00:00", 1])}]:
        response = await client.get("/api/v1/history", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.json()["code"] == "invalid_cursor"


async def test_history_keeps_the_latest_view_first(client, headers, shopper, session):
    a, b, c = await products(session, 3)
    for spu in (a, b, c, a):
        await record_view(session, shopper.id, spu.id)
        clock.advance(timedelta(seconds=1))
    page = (await client.get("/api/v1/history", headers=headers)).json()
    assert [item["spu_id"] for item in page["items"]] == [a.id, c.id, b.id]
    assert (await session.execute(select(func.count()).select_from(ViewedProduct))).scalar_one() == 3
    await session.commit()  # end the read transaction (SQLite holds its lock until then)

    first = (await client.get("/api/v1/history", params={"limit": 2}, headers=headers)).json()
    second = (
        await client.get("/api/v1/history", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers)
    ).json()
    assert [i["spu_id"] for i in first["items"]] + [i["spu_id"] for i in second["items"]] == [a.id, c.id, b.id]
    assert second["next_cursor"] is None


async def test_history_is_capped_per_shopper(client, headers, shopper, session, monkeypatch):
    assert favourite_service.HISTORY_LIMIT == 200
    monkeypatch.setattr(favourite_service, "HISTORY_LIMIT", 3)
    spus = await products(session, 5)
    other = await make_shopper(session)
    other_headers = shopper_headers(other)  # before the clock moves: PyJWT checks iat against real time
    await record_view(session, other.id, spus[0].id)
    for spu in spus:
        await record_view(session, shopper.id, spu.id)
        clock.advance(timedelta(seconds=1))
    items = (await client.get("/api/v1/history", headers=headers)).json()["items"]
    assert [item["spu_id"] for item in items] == [spus[4].id, spus[3].id, spus[2].id]
    other_response = await client.get("/api/v1/history", headers=other_headers)
    assert other_response.status_code == 200, other_response.text
    other_items = other_response.json()["items"]
    assert [item["spu_id"] for item in other_items] == [spus[0].id]


async def test_clearing_history_and_viewing_a_vanished_product(client, headers, shopper, session):
    (spu,) = await products(session, 1)
    await record_view(session, shopper.id, spu.id)
    await record_view(session, shopper.id, 987654)  # deleted meanwhile: skipped, no error
    assert len((await client.get("/api/v1/history", headers=headers)).json()["items"]) == 1
    assert (await client.delete("/api/v1/history", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/history", headers=headers)).json() == {"items": [], "next_cursor": None}


async def test_favourites_and_history_need_a_login(client):
    for method, path in [
        ("GET", "/api/v1/favourites"),
        ("POST", "/api/v1/favourites/1"),
        ("GET", "/api/v1/history"),
        ("DELETE", "/api/v1/history"),
    ]:
        assert (await client.request(method, path)).status_code == 401
