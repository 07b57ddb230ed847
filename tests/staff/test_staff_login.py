"""Staff login: tokens, lockout that survives concurrent guessing, equal treatment of unknown users, logout."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select

from qingmall.core import clock
from qingmall.staff import service
from qingmall.staff.models import Staff
from tests.factories import make_staff, staff_headers

LOGIN = "/api/admin/v1/auth/login"
PASSWORD = "Passw0rd!23"


async def _reload(db, staff_id: int) -> Staff:
    async with db.sessionmaker() as s:
        return (await s.scalars(select(Staff).where(Staff.id == staff_id))).one()


async def test_login_returns_staff_token_with_profile_and_permissions(client, session, settings):
    # given a warehouse clerk
    staff = await make_staff(session, role="warehouse")
    # when they log in (username is case-insensitive)
    response = await client.post(LOGIN, json={"username": staff.username.upper(), "password": PASSWORD})
    # then they get a staff access token carrying the token version, and their profile
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == settings.staff_token_minutes * 60
    assert body["token_type"] == "bearer"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert (claims["aud"], claims["typ"], claims["sub"], claims["ver"]) == ("staff", "access", str(staff.id), 0)
    assert claims["exp"] - claims["iat"] == settings.staff_token_minutes * 60
    assert body["staff"]["username"] == staff.username
    assert body["staff"]["role"] == "warehouse"
    assert body["staff"]["role_label"] == "仓库"
    assert body["staff"]["permissions"] == ["catalog.read", "inventory.write", "orders.read", "orders.ship"]
    assert body["staff"]["last_login_at"] is not None
    # and the token opens /me
    me = await client.get("/api/admin/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == staff.id


async def test_wrong_password_and_unknown_user_get_the_same_answer_and_the_same_hashing(
    client, session, monkeypatch
):
    # given an account, and a spy on password verification
    staff = await make_staff(session)
    calls: list[str | None] = []
    real_verify = service.verify_password

    def spy(password: str, password_hash: str | None) -> bool:
        calls.append(password_hash)
        return real_verify(password, password_hash)

    monkeypatch.setattr(service, "verify_password", spy)
    # when a wrong password is tried, and then an unknown username
    wrong = await client.post(LOGIN, json={"username": staff.username, "password": "nope-nope-1"})
    unknown = await client.post(LOGIN, json={"username": "nobody.here", "password": "nope-nope-1"})
    # then both answers are identical and both cost one argon2 verification
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"code": "invalid_credentials", "message": "用户名或密码错误"}
    assert len(calls) == 2
    assert calls[0] == staff.password_hash
    assert calls[1] is None


async def test_lockout_after_max_failures_until_time_passes(client, session, settings, db):
    # given an account and a fixed clock (2026-03-01 08:00:20 UTC = 16:00:20 Beijing)
    staff = await make_staff(session)
    clock.advance(datetime(2026, 3, 1, 8, 0, 20, tzinfo=UTC) - clock.now())
    limit = settings.staff_max_failed_logins
    # when the password is wrong limit-1 times, the account is not locked yet
    for attempt in range(1, limit):
        response = await client.post(LOGIN, json={"username": staff.username, "password": f"wrong{attempt}xxxxx"})
        assert response.status_code == 401
        assert (await _reload(db, staff.id)).failed_login_count == attempt
    # and the limit-th failure locks it, telling until when in Beijing time (rounded up to the minute)
    response = await client.post(LOGIN, json={"username": staff.username, "password": "wrong-again-1"})
    assert response.status_code == 423
    assert response.json()["code"] == "account_locked"
    minutes = settings.staff_lockout_minutes
    local_until = datetime(2026, 3, 1, 16, 1, tzinfo=clock.SHANGHAI) + timedelta(minutes=minutes)
    assert f"账号已锁定至 {local_until:%Y-%m-%d %H:%M}（北京时间）" in response.json()["message"]
    locked = await _reload(db, staff.id)
    assert locked.failed_login_count == limit
    expected_until = datetime(2026, 3, 1, 8, 0, 20, tzinfo=UTC) + timedelta(minutes=minutes)
    assert timedelta(0) <= locked.locked_until - expected_until < timedelta(seconds=20)
    # then even the right password is refused while locked, and the count does not move
    response = await client.post(LOGIN, json={"username": staff.username, "password": PASSWORD})
    assert response.status_code == 423
    assert (await _reload(db, staff.id)).failed_login_count == limit
    # when the lock has expired the right password works and resets the counter
    clock.advance(timedelta(minutes=minutes, seconds=1))
    response = await client.post(LOGIN, json={"username": staff.username, "password": PASSWORD})
    assert response.status_code == 200
    after = await _reload(db, staff.id)
    assert (after.failed_login_count, after.locked_until) == (0, None)


async def test_failure_after_expired_lock_starts_a_fresh_count(client, session, settings, db):
    # given an account locked by failures, whose lock has since expired
    staff = await make_staff(session)
    for _ in range(settings.staff_max_failed_logins):
        await client.post(LOGIN, json={"username": staff.username, "password": "bad-password-1"})
    clock.advance(timedelta(minutes=settings.staff_lockout_minutes, seconds=1))
    # when one more wrong password is tried
    response = await client.post(LOGIN, json={"username": staff.username, "password": "bad-password-1"})
    # then it counts as the first failure of a new series, not as a new lock
    assert response.status_code == 401
    after = await _reload(db, staff.id)
    assert (after.failed_login_count, after.locked_until) == (1, None)


async def test_successful_login_resets_failure_count(client, session, db):
    staff = await make_staff(session)
    for _ in range(3):
        await client.post(LOGIN, json={"username": staff.username, "password": "bad-password-1"})
    assert (await _reload(db, staff.id)).failed_login_count == 3
    response = await client.post(LOGIN, json={"username": staff.username, "password": PASSWORD})
    assert response.status_code == 200
    assert (await _reload(db, staff.id)).failed_login_count == 0


async def test_twenty_concurrent_wrong_logins_are_all_counted_and_lock_exactly_once(client, session, settings, db):
    # given an account and a limit of 5
    staff = await make_staff(session)
    limit = settings.staff_max_failed_logins
    assert limit == 5
    # when 20 wrong passwords arrive at the same time
    responses = await asyncio.gather(
        *(client.post(LOGIN, json={"username": staff.username, "password": f"wrong-pass-{i}"}) for i in range(20))
    )
    # then exactly limit-1 were plain failures and the rest were told the account is locked
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * (limit - 1) + [423] * (20 - limit + 1)
    # and the counter reached the limit exactly (no lost update, no counting past the lock)
    after = await _reload(db, staff.id)
    assert after.failed_login_count == limit
    assert after.locked_until is not None and after.locked_until > clock.now()


async def test_disabled_account_cannot_log_in_but_wrong_password_does_not_reveal_it(client, session, db):
    staff = await make_staff(session)
    staff.is_active = False
    await session.commit()
    wrong = await client.post(LOGIN, json={"username": staff.username, "password": "bad-password-1"})
    assert wrong.json()["code"] == "invalid_credentials"
    right = await client.post(LOGIN, json={"username": staff.username, "password": PASSWORD})
    assert right.status_code == 403
    assert right.json() == {"code": "account_disabled", "message": "账号已停用，请联系店主"}


async def test_logout_invalidates_every_token_of_that_staff(client, session):
    # given two sessions of the same staff member
    staff = await make_staff(session)
    first = (await client.post(LOGIN, json={"username": staff.username, "password": PASSWORD})).json()
    second = (await client.post(LOGIN, json={"username": staff.username, "password": PASSWORD})).json()
    h1 = {"Authorization": f"Bearer {first['access_token']}"}
    h2 = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await client.get("/api/admin/v1/me", headers=h2)).status_code == 200
    # when one of them logs out
    response = await client.post("/api/admin/v1/auth/logout", headers=h1)
    assert response.status_code == 204
    # then both tokens are dead
    for headers in (h1, h2):
        me = await client.get("/api/admin/v1/me", headers=headers)
        assert me.status_code == 401
        assert me.json()["code"] == "invalid_token"
    # and a fresh login works again
    again = await client.post(LOGIN, json={"username": staff.username, "password": PASSWORD})
    assert again.status_code == 200


async def test_expired_staff_token_is_refused(client, session, settings):
    staff = await make_staff(session)
    token = (await client.post(LOGIN, json={"username": staff.username, "password": PASSWORD})).json()
    clock.advance(timedelta(minutes=settings.staff_token_minutes, seconds=1))
    me = await client.get("/api/admin/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 401
    assert me.json()["code"] == "token_expired"


async def test_change_own_password(client, session):
    # given a logged-in staff member
    staff = await make_staff(session)
    headers = staff_headers(staff)
    url = "/api/admin/v1/me/password"
    # when the old password is wrong, or the new one is weak, nothing changes
    wrong = await client.post(url, headers=headers, json={"old_password": "nope", "new_password": "NewPassw0rd99"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "wrong_password")
    weak = await client.post(url, headers=headers, json={"old_password": PASSWORD, "new_password": "short1"})
    assert (weak.status_code, weak.json()["code"]) == (422, "weak_password")
    # when it is right
    ok = await client.post(url, headers=headers, json={"old_password": PASSWORD, "new_password": "NewPassw0rd99"})
    # then a fresh token is returned, the old token is dead, and only the new password logs in
    assert ok.status_code == 200
    fresh = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert (await client.get("/api/admin/v1/me", headers=fresh)).status_code == 200
    assert (await client.get("/api/admin/v1/me", headers=headers)).status_code == 401
    old = await client.post(LOGIN, json={"username": staff.username, "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post(LOGIN, json={"username": staff.username, "password": "NewPassw0rd99"})
    assert new.status_code == 200


async def test_login_input_bounds_give_422_not_500(client):
    for body in ({"username": "", "password": "x"}, {"username": "a" * 65, "password": "x"},
                 {"username": "abc", "password": "x" * 129}, {"username": "abc"}, {"password": "x"}):
        response = await client.post(LOGIN, json=body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid_input"
    malformed = await client.post(LOGIN, content=b"{not json", headers={"content-type": "application/json"})
    assert malformed.status_code == 400
