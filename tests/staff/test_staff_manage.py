"""Creating staff (service and route), managing accounts, the last-owner guard, and the roles catalogue."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import select

from qingmall.core.errors import Conflict, InvalidInput
from qingmall.core.security import verify_password
from qingmall.staff import service
from qingmall.staff.models import Staff
from qingmall.staff.schemas import StaffUpdate
from tests.factories import make_staff, staff_headers

LOGIN = "/api/admin/v1/auth/login"


async def test_create_staff_normalises_username_and_hashes_password(session):
    staff = await service.create_staff(
        session, username="  Li.Ming_01 ", password="GoodPassw0rd", role="operator", display_name=" 李明 "
    )
    assert (staff.username, staff.role, staff.display_name) == ("li.ming_01", "operator", "李明")
    assert staff.password_hash.startswith("$argon2")
    assert verify_password("GoodPassw0rd", staff.password_hash)
    assert (staff.failed_login_count, staff.token_version, staff.is_active) == (0, 0, True)


BAD_ACCOUNTS = [
    ("ab", "GoodPassw0rd", "owner", "invalid_username"),
    ("a" * 33, "GoodPassw0rd", "owner", "invalid_username"),
    ("li ming", "GoodPassw0rd", "owner", "invalid_username"),
    ("李明", "GoodPassw0rd", "owner", "invalid_username"),
    ("liming", "Short1abc", "owner", "weak_password"),
    ("liming", "onlyletters", "owner", "weak_password"),
    ("liming", "1234567890", "owner", "weak_password"),
    ("liming", "密码密码密码密码密码1", "owner", "weak_password"),
    ("liming1234", "LIMING1234", "owner", "weak_password"),
    ("liming", "a1" * 65, "owner", "weak_password"),
    ("liming", "GoodPassw0rd", "boss", "unknown_role"),
]


async def test_create_staff_rejects_bad_input_with_chinese_message(session):
    for username, password, role, code in BAD_ACCOUNTS:
        with pytest.raises(InvalidInput) as caught:
            await service.create_staff(session, username=username, password=password, role=role)
        assert caught.value.code == code, (username, password, role)
        assert caught.value.status_code == 422
        assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)
    assert (await session.scalars(select(Staff))).all() == []


async def test_password_policy_message_is_exact():
    with pytest.raises(InvalidInput) as caught:
        service.check_password("abc123")
    assert caught.value.message == "密码至少 10 位，且必须同时包含字母和数字"


async def test_create_staff_duplicate_username_is_409_case_insensitively(session):
    await service.create_staff(session, username="wangwu", password="GoodPassw0rd", role="warehouse")
    with pytest.raises(Conflict) as caught:
        await service.create_staff(session, username="WangWu", password="GoodPassw0rd", role="warehouse")
    assert caught.value.code == "username_taken"
    assert caught.value.message == "用户名 wangwu 已被使用"


async def test_concurrent_creates_of_one_username_give_one_account(db):
    async def create() -> str:
        async with db.sessionmaker() as s:
            try:
                await service.create_staff(s, username="zhaoliu", password="GoodPassw0rd", role="warehouse")
                return "created"
            except Conflict as exc:
                return exc.code

    results = await asyncio.gather(create(), create(), create())
    assert sorted(results) == ["created", "username_taken", "username_taken"]


async def test_owner_creates_lists_updates_and_resets_staff(client, session):
    owner = await make_staff(session, role="owner")
    headers = staff_headers(owner)
    # create
    created = await client.post(
        "/api/admin/v1/staff",
        headers=headers,
        json={"username": "KeFu01", "password": "KefuPassw0rd", "role": "customer_service", "display_name": "客服小王"},
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["username"], body["role"], body["role_label"], body["display_name"]) == (
        "kefu01", "customer_service", "客服", "客服小王",
    )
    assert "password_hash" not in body
    staff_id = body["id"]
    # duplicate -> 409, weak password -> 422
    dup = await client.post(
        "/api/admin/v1/staff", headers=headers, json={"username": "kefu01", "password": "KefuPassw0rd", "role": "owner"}
    )
    assert (dup.status_code, dup.json()["code"]) == (409, "username_taken")
    weak = await client.post(
        "/api/admin/v1/staff", headers=headers, json={"username": "kefu02", "password": "weak", "role": "owner"}
    )
    assert (weak.status_code, weak.json()["code"]) == (422, "weak_password")
    # list
    listed = await client.get("/api/admin/v1/staff", headers=headers)
    assert [s["username"] for s in listed.json()] == [owner.username, "kefu01"]
    # update role and name
    patched = await client.patch(
        f"/api/admin/v1/staff/{staff_id}", headers=headers, json={"role": "operator", "display_name": "运营小王"}
    )
    assert patched.status_code == 200
    assert (patched.json()["role"], patched.json()["display_name"]) == ("operator", "运营小王")
    bad_role = await client.patch(f"/api/admin/v1/staff/{staff_id}", headers=headers, json={"role": "boss"})
    assert (bad_role.status_code, bad_role.json()["code"]) == (422, "unknown_role")
    # reset password: old token dies, new password works
    login = await client.post(LOGIN, json={"username": "kefu01", "password": "KefuPassw0rd"})
    their_headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    reset = await client.post(
        f"/api/admin/v1/staff/{staff_id}/password", headers=headers, json={"new_password": "Brand2NewPass"}
    )
    assert reset.status_code == 200
    assert (await client.get("/api/admin/v1/me", headers=their_headers)).status_code == 401
    assert (await client.post(LOGIN, json={"username": "kefu01", "password": "KefuPassw0rd"})).status_code == 401
    assert (await client.post(LOGIN, json={"username": "kefu01", "password": "Brand2NewPass"})).status_code == 200
    # unknown id and absurd id are 404 / 422, never 500
    assert (await client.patch("/api/admin/v1/staff/999999", headers=headers, json={})).status_code == 404
    huge = await client.patch(f"/api/admin/v1/staff/{2**70}", headers=headers, json={})
    assert huge.status_code == 422


async def test_reset_password_lifts_a_lockout(client, session, settings):
    owner = await make_staff(session, role="owner")
    clerk = await make_staff(session, role="warehouse")
    for _ in range(settings.staff_max_failed_logins):
        await client.post(LOGIN, json={"username": clerk.username, "password": "bad-password-1"})
    locked = await client.get(f"/api/admin/v1/staff/{clerk.id}", headers=staff_headers(owner))
    assert locked.json()["is_locked"] is True
    await client.post(
        f"/api/admin/v1/staff/{clerk.id}/password", headers=staff_headers(owner), json={"new_password": "Unlocked123x"}
    )
    response = await client.post(LOGIN, json={"username": clerk.username, "password": "Unlocked123x"})
    assert response.status_code == 200
    assert response.json()["staff"]["is_locked"] is False


async def test_deactivating_staff_ends_their_sessions_and_blocks_login(client, session):
    owner = await make_staff(session, role="owner")
    clerk = await make_staff(session, role="warehouse")
    clerk_headers = staff_headers(clerk)
    response = await client.patch(
        f"/api/admin/v1/staff/{clerk.id}", headers=staff_headers(owner), json={"is_active": False}
    )
    assert response.json()["is_active"] is False
    assert (await client.get("/api/admin/v1/me", headers=clerk_headers)).status_code == 401
    # reactivating does not revive the old token
    await client.patch(f"/api/admin/v1/staff/{clerk.id}", headers=staff_headers(owner), json={"is_active": True})
    assert (await client.get("/api/admin/v1/me", headers=clerk_headers)).status_code == 401


async def test_last_active_owner_cannot_be_demoted_or_deactivated(client, session):
    # given one owner (and an inactive one that does not count)
    owner = await make_staff(session, role="owner")
    former = await make_staff(session, role="owner")
    former.is_active = False
    await session.commit()
    headers = staff_headers(owner)
    for change in ({"role": "operator"}, {"is_active": False}):
        response = await client.patch(f"/api/admin/v1/staff/{owner.id}", headers=headers, json=change)
        assert response.status_code == 409
        assert response.json()["code"] == "last_owner"
    # a display-name change or a no-op role is fine
    url = f"/api/admin/v1/staff/{owner.id}"
    ok = await client.patch(url, headers=headers, json={"role": "owner", "display_name": "老板"})
    assert ok.status_code == 200
    # when a second active owner exists, the first may step down
    second = await make_staff(session, role="owner")
    stepped = await client.patch(f"/api/admin/v1/staff/{owner.id}", headers=headers, json={"role": "operator"})
    assert stepped.status_code == 200
    # and now the second is the last one
    last = await client.patch(
        f"/api/admin/v1/staff/{second.id}", headers=staff_headers(second), json={"is_active": False}
    )
    assert last.status_code == 409


async def test_two_owners_demoting_each_other_concurrently_leave_one_owner(db, session, monkeypatch):
    # given two owners, and a check that lingers so both demotions would pass it unless it really locks
    a = await make_staff(session, role="owner")
    b = await make_staff(session, role="owner")
    original = service._ensure_another_active_owner
    passed: list[int] = []
    both_passed = asyncio.Event()

    async def lingering_check(s, staff_id: int) -> None:
        await original(s, staff_id)
        passed.append(staff_id)
        if len(passed) == 2:
            both_passed.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_passed.wait(), 0.5)

    monkeypatch.setattr(service, "_ensure_another_active_owner", lingering_check)

    async def demote(staff_id: int) -> str:
        async with db.sessionmaker() as s:
            try:
                await service.update_staff(s, staff_id, StaffUpdate(role="operator"))
                return "ok"
            except Conflict as exc:
                return exc.code

    # when each demotes the other at the same time
    results = await asyncio.gather(demote(a.id), demote(b.id))
    # then one wins, the other is told it would remove the last owner
    assert sorted(results) == ["last_owner", "ok"]
    async with db.sessionmaker() as s:
        owners = (await s.scalars(select(Staff.id).where(Staff.role == "owner", Staff.is_active.is_(True)))).all()
    assert len(owners) == 1


async def test_roles_catalogue_lists_labels_and_permissions(client, session):
    owner = await make_staff(session, role="owner")
    response = await client.get("/api/admin/v1/roles", headers=staff_headers(owner))
    assert response.status_code == 200
    roles = {r["name"]: r for r in response.json()}
    assert list(roles) == ["owner", "operator", "customer_service", "warehouse"]
    assert roles["owner"]["label"] == "店主"
    assert len(roles["owner"]["permissions"]) == 18
    owner_codes = {p["code"] for p in roles["owner"]["permissions"]}
    assert {"reports.read", "settings.manage"} <= owner_codes
    operator_codes = {p["code"] for p in roles["operator"]["permissions"]}
    assert "reports.read" in operator_codes and "settings.manage" not in operator_codes
    assert roles["warehouse"]["permissions"] == [
        {"code": "catalog.read", "label": "查看商品"},
        {"code": "inventory.write", "label": "调整库存"},
        {"code": "orders.read", "label": "查看订单"},
        {"code": "orders.ship", "label": "订单发货"},
    ]
