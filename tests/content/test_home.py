"""The shopper's home page: live banners in order inside their time window, and category shortcuts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qingmall.catalog.cache import CatalogCache, set_catalog_cache
from qingmall.catalog.models import Category
from qingmall.content import service
from qingmall.content.models import Banner
from qingmall.core import clock
from tests.content.content_testkit import ADMIN, HOME, banner_body, image_url, thumb_url
from tests.factories import make_staff, staff_headers


def _at(delta: timedelta) -> str:
    return (clock.now() + delta).isoformat()


async def test_home_shows_visible_banners_inside_their_window_in_order(client, session):
    # given banners that are live, hidden, not yet started and already over, with sort orders out of id order
    owner = staff_headers(await make_staff(session))
    bodies = {
        "late": banner_body(1, sort_order=20, caption="压轴"),
        "first": banner_body(2, sort_order=10, link_type="search", link_value="坚果"),
        "tie": banner_body(3, sort_order=10),
        "hidden": banner_body(4, sort_order=0, is_visible=False),
        "future": banner_body(5, sort_order=0, starts_at=_at(timedelta(hours=2))),
        "over": banner_body(6, sort_order=0, ends_at=_at(timedelta(hours=-1)), starts_at=_at(timedelta(days=-2))),
        "ending": banner_body(7, sort_order=30, ends_at=_at(timedelta(hours=1))),
    }
    ids = {}
    for name, body in bodies.items():
        created = await client.post(ADMIN, headers=owner, json=body)
        assert created.status_code == 201, created.text
        ids[name] = created.json()["id"]

    # when a shopper (no login) opens the home page
    home = await client.get(HOME)

    # then only the live ones show, by sort_order then id, with the derived thumbnail
    assert home.status_code == 200
    banners = home.json()["banners"]
    assert [b["id"] for b in banners] == [ids["first"], ids["tie"], ids["late"], ids["ending"]]
    assert banners[0] == {
        "id": ids["first"],
        "title": "活动2",
        "caption": "",
        "image_url": image_url(2),
        "thumbnail_url": thumb_url(2),
        "link_type": "search",
        "link_value": "坚果",
    }
    assert banners[2]["caption"] == "压轴"

    # and when two hours pass, the future banner has started and the ending one has ended
    clock.advance(timedelta(hours=2))
    banners = (await client.get(HOME)).json()["banners"]
    assert [b["id"] for b in banners] == [ids["future"], ids["first"], ids["tie"], ids["late"]]


def test_a_banner_is_live_from_its_start_until_just_before_its_end():
    start, end = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC)
    banner = Banner(title="元旦", image_url=image_url(1), is_visible=True, starts_at=start, ends_at=end)
    tick = timedelta(microseconds=1)
    assert [service.is_live(banner, moment) for moment in (start - tick, start, end - tick, end)] == [
        False,
        True,
        True,
        False,
    ]
    assert service.is_live(Banner(is_visible=True, starts_at=None, ends_at=None), start)
    assert not service.is_live(Banner(is_visible=False, starts_at=None, ends_at=None), start)


async def test_window_times_are_stored_in_utc(client, session):
    owner = staff_headers(await make_staff(session))
    created = await client.post(
        ADMIN,
        headers=owner,
        json=banner_body(1, starts_at="2027-01-01T08:00:00+08:00", ends_at="2027-01-02T08:00:00+08:00"),
    )
    assert created.status_code == 201, created.text
    assert (created.json()["starts_at"], created.json()["ends_at"]) == ("2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z")
    assert created.json()["is_live"] is False
    assert (await client.get(HOME)).json()["banners"] == []


async def test_shortcuts_are_visible_top_level_categories_in_their_order(client, session):
    # given top-level categories out of id order, a hidden one and a sub-category
    drinks = Category(name="酒水", icon_url="/media/icons/drinks.png", sort_order=2)
    fruit = Category(name="水果", icon_url="/media/icons/fruit.png", sort_order=1)
    hidden = Category(name="内部测试", sort_order=0, is_visible=False)
    session.add_all([drinks, fruit, hidden])
    await session.flush()
    session.add(Category(name="苹果", parent_id=fruit.id))
    await session.commit()

    # when the home page is read
    home = (await client.get(HOME)).json()

    # then the shortcuts are the visible top level, in sort order, with their icons
    assert home == {
        "banners": [],
        "shortcuts": [
            {"category_id": fruit.id, "name": "水果", "icon_url": "/media/icons/fruit.png"},
            {"category_id": drinks.id, "name": "酒水", "icon_url": "/media/icons/drinks.png"},
        ],
    }


async def test_home_shows_at_most_ten_banners_and_ten_shortcuts(client, session):
    owner = staff_headers(await make_staff(session))
    session.add_all([Category(name=f"类目{n}", sort_order=n) for n in range(12)])
    await session.commit()
    for n in range(12):
        assert (await client.post(ADMIN, headers=owner, json=banner_body(n, sort_order=n))).status_code == 201
    home = (await client.get(HOME)).json()
    assert [b["title"] for b in home["banners"]] == [f"活动{n}" for n in range(10)]
    assert [s["name"] for s in home["shortcuts"]] == [f"类目{n}" for n in range(10)]


@pytest.fixture
def cached():
    set_catalog_cache(CatalogCache(ttl_seconds=60))
    yield
    set_catalog_cache(None)


async def test_cached_home_page_is_refreshed_by_banner_edits(client, session, cached):
    # given a home page that has been rendered (and cached) once
    owner = staff_headers(await make_staff(session))
    first = (await client.post(ADMIN, headers=owner, json=banner_body(1))).json()
    assert [b["id"] for b in (await client.get(HOME)).json()["banners"]] == [first["id"]]
    # (a row written behind the service's back is not seen: the page really comes from the cache)
    bypass = Banner(title="绕过服务", image_url=image_url(9))
    session.add(bypass)
    await session.commit()
    assert [b["id"] for b in (await client.get(HOME)).json()["banners"]] == [first["id"]]

    # when banners are added, edited and deleted, each change shows at once
    second = (await client.post(ADMIN, headers=owner, json=banner_body(2, sort_order=-1))).json()
    assert [b["id"] for b in (await client.get(HOME)).json()["banners"]] == [second["id"], first["id"], bypass.id]
    await client.patch(f"{ADMIN}/{second['id']}", headers=owner, json={"is_visible": False})
    assert [b["id"] for b in (await client.get(HOME)).json()["banners"]] == [first["id"], bypass.id]
    await client.delete(f"{ADMIN}/{first['id']}", headers=owner)
    assert [b["id"] for b in (await client.get(HOME)).json()["banners"]] == [bypass.id]
