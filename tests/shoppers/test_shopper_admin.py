"""Merchant view of shoppers: permission, search by nickname or exact phone (blind index), cursor pages,
detail with addresses whose phones stay masked."""

from __future__ import annotations

import pytest

from qingmall.core.crypto import encrypt, mask_phone, phone_hash
from qingmall.shoppers.address_service import create_address
from qingmall.shoppers.models import Shopper
from qingmall.shoppers.schemas import AddressCreate
from tests.factories import make_shopper, make_staff, staff_headers
from tests.shoppers.shoppers_testkit import HANGZHOU_XIHU


@pytest.fixture
async def support(session):
    return staff_headers(await make_staff(session, role="customer_service"))


async def phone_shopper(session, nickname: str, phone: str) -> Shopper:
    shopper = Shopper(
        nickname=nickname,
        phone_hash=phone_hash(phone),
        phone_cipher=encrypt(phone, purpose="shopper.phone"),
        phone_masked=mask_phone(phone),
    )
    session.add(shopper)
    await session.commit()
    return shopper


async def test_search_by_nickname_or_exact_phone(client, session, support):
    ann = await phone_shopper(session, "安妮", "13812345678")
    await phone_shopper(session, "安娜", "13912345678")
    await make_shopper(session, nickname="100%_真")

    by_name = (await client.get("/api/admin/v1/shoppers", params={"q": "安"}, headers=support)).json()
    assert [s["nickname"] for s in by_name["items"]] == ["安娜", "安妮"]
    by_phone = (await client.get("/api/admin/v1/shoppers", params={"q": "138 1234 5678"}, headers=support)).json()
    assert [s["id"] for s in by_phone["items"]] == [ann.id]
    assert by_phone["items"][0]["phone_masked"] == "138****5678"
    assert "13812345678" not in str(by_phone)
    partial_phone = (await client.get("/api/admin/v1/shoppers", params={"q": "1381234"}, headers=support)).json()
    assert partial_phone["items"] == []
    literal = (await client.get("/api/admin/v1/shoppers", params={"q": "%_"}, headers=support)).json()
    assert [s["nickname"] for s in literal["items"]] == ["100%_真"]


async def test_list_pages_newest_first(client, session, support):
    made = [await make_shopper(session) for _ in range(5)]
    ids, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/admin/v1/shoppers", params=params, headers=support)).json()
        ids += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids == [s.id for s in reversed(made)]


async def test_detail_shows_addresses_with_masked_phones(client, session, support):
    shopper = await phone_shopper(session, "安妮", "13812345678")
    await create_address(
        session,
        shopper.id,
        AddressCreate(recipient_name="李四", phone="13700001234", detail="文三路 1 号", **HANGZHOU_XIHU),
    )
    response = await client.get(f"/api/admin/v1/shoppers/{shopper.id}", headers=support)
    assert response.status_code == 200
    body = response.json()
    assert body["nickname"] == "安妮"
    assert body["favourite_count"] == 0
    [address] = body["addresses"]
    assert address["phone_masked"] == "137****1234"
    assert address["district"] == "西湖区"
    assert "13700001234" not in response.text and "13812345678" not in response.text
    assert (await client.get("/api/admin/v1/shoppers/999999", headers=support)).status_code == 404


async def test_needs_the_shoppers_read_permission(client, session):
    warehouse = staff_headers(await make_staff(session, role="warehouse"))
    assert (await client.get("/api/admin/v1/shoppers", headers=warehouse)).status_code == 403
    assert (await client.get("/api/admin/v1/shoppers/1", headers=warehouse)).status_code == 403
    assert (await client.get("/api/admin/v1/shoppers")).status_code == 401


async def test_bad_admin_queries_are_422(client, support):
    for params in [{"q": "x" * 65}, {"q": "a\x00b"}, {"limit": 0}, {"limit": 101}, {"cursor": "%%%"}]:
        assert (await client.get("/api/admin/v1/shoppers", params=params, headers=support)).status_code == 422, params
    assert (await client.get(f"/api/admin/v1/shoppers/{2**63}", headers=support)).status_code == 422
