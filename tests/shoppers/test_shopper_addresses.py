"""Addresses: region codes validated and named from the bundled GB/T 2260 data, phones encrypted and
masked, at most 20 per shopper, exactly one default, another shopper's address is 404; the region picker."""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import select

from qingmall.core.errors import NotFound
from qingmall.shoppers import service
from qingmall.shoppers.address_service import MAX_ADDRESSES, create_address, delete_address, set_default_address
from qingmall.shoppers.models import Address
from qingmall.shoppers.schemas import AddressCreate
from tests.factories import make_shopper, shopper_headers
from tests.shoppers.shoppers_testkit import BEIJING_DONGCHENG, HANGZHOU_XIHU


def payload(**overrides) -> dict:
    body = {"recipient_name": "张三", "phone": "13812345678", "detail": "文三路 100 号 3 幢 201", **HANGZHOU_XIHU}
    body.update(overrides)
    return body


@pytest.fixture
async def shopper(session):
    return await make_shopper(session)


@pytest.fixture
def headers(shopper):
    return shopper_headers(shopper)


async def add(client, headers, **overrides):
    response = await client.post("/api/v1/addresses", json=payload(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def defaults(client, headers) -> list[int]:
    listed = (await client.get("/api/v1/addresses", headers=headers)).json()
    return [a["id"] for a in listed if a["is_default"]]


async def test_first_address_is_default_and_names_come_from_codes(client, headers, session):
    created = await add(client, headers, province="火星", city="x", district="y", is_default=False)
    assert created == {
        "id": created["id"],
        "recipient_name": "张三",
        "phone_masked": "138****5678",
        "province_code": "330000",
        "city_code": "330100",
        "district_code": "330106",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "detail": "文三路 100 号 3 幢 201",
        "postal_code": "",
        "tag": "",
        "is_default": True,
    }
    row = (await session.execute(select(Address))).scalar_one()
    assert "13812345678" not in row.phone_cipher
    await session.rollback()
    detail = (await client.get(f"/api/v1/addresses/{created['id']}", headers=headers)).json()
    assert detail["phone"] == "13812345678"


async def test_municipality_and_city_without_districts(client, headers):
    beijing = await add(client, headers, **BEIJING_DONGCHENG)
    assert (beijing["province"], beijing["city"], beijing["district"]) == ("北京市", "北京市", "东城区")
    dongguan = await add(client, headers, province_code="440000", city_code="441900", district_code="441900")
    assert (dongguan["city"], dongguan["district"]) == ("东莞市", "东莞市")


async def test_only_one_default_at_a_time(client, headers):
    first = await add(client, headers)
    second = await add(client, headers, tag="公司")
    assert second["is_default"] is False
    third = await add(client, headers, is_default=True)
    assert await defaults(client, headers) == [third["id"]]

    made = await client.post(f"/api/v1/addresses/{second['id']}/default", headers=headers)
    assert made.status_code == 200 and made.json()["is_default"] is True
    assert await defaults(client, headers) == [second["id"]]

    patched = await client.patch(f"/api/v1/addresses/{first['id']}", json={"is_default": True}, headers=headers)
    assert patched.json()["is_default"] is True
    assert await defaults(client, headers) == [first["id"]]
    listed = (await client.get("/api/v1/addresses", headers=headers)).json()
    assert listed[0]["id"] == first["id"]


async def test_the_default_cannot_be_unset_directly(client, headers):
    only = await add(client, headers)
    response = await client.patch(f"/api/v1/addresses/{only['id']}", json={"is_default": False}, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "default_address_required"


async def test_deleting_the_default_promotes_the_most_recently_changed(client, headers):
    first = await add(client, headers)
    second = await add(client, headers)
    third = await add(client, headers)
    await client.patch(f"/api/v1/addresses/{second['id']}", json={"tag": "家"}, headers=headers)
    assert (await client.delete(f"/api/v1/addresses/{first['id']}", headers=headers)).status_code == 204
    assert await defaults(client, headers) == [second["id"]]
    await client.delete(f"/api/v1/addresses/{third['id']}", headers=headers)
    await client.delete(f"/api/v1/addresses/{second['id']}", headers=headers)
    assert (await client.get("/api/v1/addresses", headers=headers)).json() == []
    again = await add(client, headers)
    assert again["is_default"] is True


async def test_update_changes_fields_region_and_phone(client, headers):
    created = await add(client, headers)
    response = await client.patch(
        f"/api/v1/addresses/{created['id']}",
        json={"phone": "13900001111", "postal_code": "100010", "city": "ignored", **BEIJING_DONGCHENG},
        headers=headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["province"], body["city"], body["district"]) == ("北京市", "北京市", "东城区")
    assert body["phone_masked"] == "139****1111"
    assert body["postal_code"] == "100010"
    assert body["detail"] == "文三路 100 号 3 幢 201"


async def test_invalid_regions_are_refused(client, headers):
    cases = [
        ({"province_code": "990000"}, "所选省份不存在"),
        ({"city_code": "320100"}, "所选城市不属于该省份"),  # 南京 is not in 浙江
        ({"district_code": "330203"}, "所选区县不属于该城市"),  # 宁波海曙 is not in 杭州
        ({"district_code": "330100"}, "所选区县不属于该城市"),
    ]
    for override, message in cases:
        response = await client.post("/api/v1/addresses", json=payload(**override), headers=headers)
        assert response.status_code == 422, override
        assert response.json() == {"code": "invalid_region", "message": message}
    created = await add(client, headers)
    partial = await client.patch(f"/api/v1/addresses/{created['id']}", json={"city_code": "330200"}, headers=headers)
    assert partial.status_code == 422
    assert partial.json()["code"] == "invalid_input"


async def test_bad_address_input_is_422_never_500(client, headers):
    bad = [
        {"phone": "12812345678"},
        {"phone": "0571-88888888"},
        {"phone": ""},
        {"recipient_name": ""},
        {"recipient_name": "x" * 33},
        {"recipient_name": "张\x00三"},
        {"detail": "a"},
        {"detail": "x" * 201},
        {"postal_code": "12345"},
        {"province_code": "33000"},
        {"province_code": "浙江省"},
        {"tag": "x" * 17},
        {"is_default": "maybe"},
    ]
    for override in bad:
        response = await client.post("/api/v1/addresses", json=payload(**override), headers=headers)
        assert response.status_code == 422, override
    for path in ["/api/v1/addresses/0", "/api/v1/addresses/-1", "/api/v1/addresses/abc", f"/api/v1/addresses/{2**63}"]:
        assert (await client.get(path, headers=headers)).status_code == 422, path
    assert (await client.get(f"/api/v1/addresses/{2**63 - 1}", headers=headers)).status_code == 404


async def test_at_most_twenty_addresses(client, headers, shopper, session):
    for _ in range(MAX_ADDRESSES - 1):
        await create_address(session, shopper.id, AddressCreate(**payload()))
    await add(client, headers)
    response = await client.post("/api/v1/addresses", json=payload(), headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "address_limit_reached"


async def test_concurrent_creates_respect_the_limit_and_the_single_default(client, headers, shopper, session):
    for _ in range(MAX_ADDRESSES - 3):
        await create_address(session, shopper.id, AddressCreate(**payload()))
    results = await asyncio.gather(
        *(client.post("/api/v1/addresses", json=payload(is_default=True), headers=headers) for _ in range(6))
    )
    assert sorted(r.status_code for r in results) == [201, 201, 201, 409, 409, 409]
    listed = (await client.get("/api/v1/addresses", headers=headers)).json()
    assert len(listed) == MAX_ADDRESSES
    assert sum(a["is_default"] for a in listed) == 1


async def test_another_shoppers_address_is_404(client, headers, session):
    mine = await add(client, headers)
    stranger = shopper_headers(await make_shopper(session))
    for method, path, body in [
        ("GET", f"/api/v1/addresses/{mine['id']}", None),
        ("PATCH", f"/api/v1/addresses/{mine['id']}", {"tag": "偷"}),
        ("DELETE", f"/api/v1/addresses/{mine['id']}", None),
        ("POST", f"/api/v1/addresses/{mine['id']}/default", None),
    ]:
        response = await client.request(method, path, json=body, headers=stranger)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "address_not_found"
    assert (await client.get("/api/v1/addresses", headers=stranger)).json() == []
    assert (await client.get(f"/api/v1/addresses/{mine['id']}", headers=headers)).json()["tag"] == ""


async def test_get_address_and_snapshot_for_checkout(client, headers, shopper, session):
    created = await add(client, headers, postal_code="310012")
    other = await make_shopper(session)
    with pytest.raises(NotFound):
        await service.get_address(session, other.id, created["id"])
    address = await service.get_address(session, shopper.id, created["id"])
    assert service.address_snapshot(address) == {
        "address_id": created["id"],
        "recipient_name": "张三",
        "phone": "13812345678",
        "province_code": "330000",
        "city_code": "330100",
        "district_code": "330106",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "detail": "文三路 100 号 3 幢 201",
        "postal_code": "310012",
        "full_address": "浙江省杭州市西湖区文三路 100 号 3 幢 201",
    }
    assert (await service.get_default_address(session, shopper.id)).id == created["id"]


async def test_default_invariant_holds_over_random_operations(shopper, session):
    """Given a seeded random mix of creates, default switches and deletes, then after every step there
    is exactly one default whenever the shopper has any address."""
    rng = random.Random(20261127)
    ids: list[int] = []
    for _ in range(60):
        action = rng.choice(["create", "create_default", "set_default", "delete"])
        if action.startswith("create") and len(ids) < MAX_ADDRESSES:
            address = await create_address(
                session, shopper.id, AddressCreate(**payload(is_default=action == "create_default"))
            )
            ids.append(address.id)
        elif action == "set_default" and ids:
            await set_default_address(session, shopper.id, rng.choice(ids))
        elif action == "delete" and ids:
            victim = rng.choice(ids)
            await delete_address(session, shopper.id, victim)
            ids.remove(victim)
        flags = (await session.execute(select(Address.is_default).where(Address.shopper_id == shopper.id))).scalars()
        flags = list(flags)
        await session.commit()
        assert len(flags) == len(ids)
        assert sum(flags) == (1 if ids else 0)


async def test_region_picker(client):
    provinces = (await client.get("/api/v1/regions")).json()
    assert len(provinces) == 31
    assert provinces[0] == {"code": "110000", "name": "北京市", "level": "province", "has_children": True}
    cities = (await client.get("/api/v1/regions", params={"parent": "330000"})).json()
    assert {"code": "330100", "name": "杭州市", "level": "city", "has_children": True} in cities
    assert len(cities) == 11
    districts = (await client.get("/api/v1/regions", params={"parent": "330100"})).json()
    assert {"code": "330106", "name": "西湖区", "level": "district", "has_children": False} in districts
    assert (await client.get("/api/v1/regions", params={"parent": "330106"})).json() == []
    unknown = await client.get("/api/v1/regions", params={"parent": "999999"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "region_not_found"
    assert (await client.get("/api/v1/regions", params={"parent": "abc"})).status_code == 422


async def test_addresses_need_a_login(client):
    assert (await client.get("/api/v1/addresses")).status_code == 401
    assert (await client.post("/api/v1/addresses", json=payload())).status_code == 401
