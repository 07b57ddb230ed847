"""The public catalog cache: hits skip the database, merchant edits show at once, other processes follow."""

from __future__ import annotations

import asyncio

import pytest

from qingmall.catalog import cache as catalog_cache
from qingmall.catalog.cache import CatalogCache, set_catalog_cache
from tests.factories import make_product, make_staff, staff_headers


@pytest.fixture
def cached():
    cache = CatalogCache(ttl_seconds=60)
    set_catalog_cache(cache)
    yield cache
    set_catalog_cache(None)


async def test_hit_serves_the_rendered_page_until_a_merchant_edit(client, session, cached):
    # given a product page that has been read once
    spu = await make_product(session, title="保温杯")
    spu_id = spu.id
    first = await client.get("/api/v1/products")
    assert [item["title"] for item in first.json()["items"]] == ["保温杯"]

    # when a product is added behind the cache's back (no service call), the cached page still answers
    await make_product(session, title="旅行箱")
    assert [item["title"] for item in (await client.get("/api/v1/products")).json()["items"]] == ["保温杯"]

    # then a merchant edit through the API invalidates it at once
    owner = await make_staff(session)
    off = await client.post(f"/api/admin/v1/products/{spu_id}/shelf", headers=staff_headers(owner),
                            json={"is_on_shelf": False})
    assert off.status_code == 200, off.text
    titles = [item["title"] for item in (await client.get("/api/v1/products")).json()["items"]]
    assert titles == ["旅行箱"]
    assert (await client.get(f"/api/v1/products/{spu_id}")).status_code == 404


async def test_entries_expire_after_the_ttl(client, session):
    set_catalog_cache(CatalogCache(ttl_seconds=0.2))
    try:
        await make_product(session, title="保温杯")
        assert len((await client.get("/api/v1/products")).json()["items"]) == 1
        await make_product(session, title="旅行箱")
        assert len((await client.get("/api/v1/products")).json()["items"]) == 1
        await asyncio.sleep(0.3)
        assert len((await client.get("/api/v1/products")).json()["items"]) == 2
    finally:
        set_catalog_cache(None)


async def test_invalidation_reaches_other_processes_through_redis(redis_url, monkeypatch):
    # given two processes' caches sharing Redis (or, without Redis, two independent caches)
    monkeypatch.setattr(catalog_cache, "GENERATION_CHECK_SECONDS", 0.0)
    here, there = CatalogCache(ttl_seconds=60, redis_url=redis_url), CatalogCache(ttl_seconds=60, redis_url=redis_url)
    renders = {"n": 0}

    async def build() -> bytes:
        renders["n"] += 1
        return str(renders["n"]).encode()

    assert await there.get_or_build("page", build) == b"1"
    assert await there.get_or_build("page", build) == b"1"

    # when this process invalidates
    await here.invalidate()

    # then the other process re-renders only when the generation is shared
    expected = b"2" if redis_url else b"1"
    assert await there.get_or_build("page", build) == expected


async def test_disabled_cache_always_renders():
    off = CatalogCache(ttl_seconds=0)
    calls = []

    async def build() -> bytes:
        calls.append(1)
        return b"x"

    await off.get_or_build("k", build)
    await off.get_or_build("k", build)
    assert len(calls) == 2
