"""Shopper login over HTTP against the WeChat sandbox: first login, repeat login, WeChat failures, phone
binding, refresh-token rotation and reuse detection, logout, profile."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from qingmall.core import clock
from qingmall.core.crypto import decrypt, phone_hash
from qingmall.integrations.wechat import AccessTokenCache, WeChatClient
from qingmall.shoppers.models import Shopper, ShopperSession
from tests.factories import make_shopper, shopper_headers
from tests.shoppers.shoppers_testkit import bearer, sms_login, wechat_login, wire_partners


@pytest.fixture
def partners(app):
    return wire_partners(app)


async def test_first_wechat_login_creates_the_shopper_and_the_next_finds_them(client, partners, session):
    first = await wechat_login(client, "alice", nickname="小爱", avatar_url="https://img.example.com/a.png")
    again = await wechat_login(client, "alice")

    assert first["is_new"] is True
    assert again["is_new"] is False
    assert again["shopper"]["id"] == first["shopper"]["id"]
    assert first["shopper"] == {
        "id": first["shopper"]["id"],
        "nickname": "小爱",
        "avatar_url": "https://img.example.com/a.png",
        "phone_masked": None,
        "has_wechat": True,
        "created_at": first["shopper"]["created_at"],
    }
    assert first["token_type"] == "bearer"
    assert first["expires_in"] == 120 * 60
    assert "session_key" not in str(first) and "openid" not in str(first)
    shopper = (await session.execute(select(Shopper))).scalar_one()
    assert shopper.openid.startswith("o") and shopper.unionid.startswith("u")
    assert shopper.last_login_at is not None
    await session.rollback()  # on SQLite an open transaction holds the database lock

    me = await client.get("/api/v1/me", headers=bearer(again))
    assert me.status_code == 200
    assert me.json()["nickname"] == "小爱"


async def test_different_wechat_users_are_different_shoppers(client, partners):
    alice = await wechat_login(client, "alice")
    bob = await wechat_login(client, "bob")
    assert alice["shopper"]["id"] != bob["shopper"]["id"]
    assert bob["shopper"]["nickname"] == "微信用户"


async def test_concurrent_first_logins_of_one_user_make_one_shopper(client, partners, session):
    results = await asyncio.gather(*(wechat_login(client, "twin") for _ in range(4)))
    assert len({r["shopper"]["id"] for r in results}) == 1
    assert sum(r["is_new"] for r in results) == 1
    assert len((await session.execute(select(Shopper))).scalars().all()) == 1


async def test_wechat_failures_map_to_clear_errors(client, partners):
    expected = {
        "ratelimit-1": (429, "wechat_rate_limited"),
        "risky-1": (403, "wechat_high_risk"),
        "busy-1": (502, "wechat_busy"),
    }
    for code, (status, error_code) in expected.items():
        response = await client.post("/api/v1/auth/wechat-login", json={"code": code})
        assert (response.status_code, response.json()["code"]) == (status, error_code), code


async def test_a_reused_login_code_is_wechat_code_invalid(client, partners):
    assert (await client.post("/api/v1/auth/wechat-login", json={"code": "demo-zed-1"})).status_code == 200
    response = await client.post("/api/v1/auth/wechat-login", json={"code": "demo-zed-1"})
    assert response.status_code == 422
    assert response.json() == {"code": "wechat_code_invalid", "message": "微信授权码无效或已使用，请重新授权"}


async def test_misconfigured_secret_is_a_non_retryable_502(app, client, partners):
    settings = app.state.settings
    from qingmall.sandbox.wechat import create_wechat_sandbox

    app.state.wechat_client = WeChatClient(
        appid=settings.wechat_appid,
        secret="not-the-secret",
        base_url="http://wechat.test",
        transport=httpx.ASGITransport(app=create_wechat_sandbox(partners.wechat)),
        token_cache=AccessTokenCache(),
    )
    response = await client.post("/api/v1/auth/wechat-login", json={"code": "demo-amy"})
    assert response.status_code == 502
    assert response.json()["code"] == "wechat_unavailable"
    assert response.json()["details"] == {"retryable": False}


async def test_unreachable_wechat_is_a_retryable_502(app, client):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    app.state.wechat_client = WeChatClient(
        appid="wx", secret="s", base_url="http://wechat.test", transport=httpx.MockTransport(refuse)
    )
    response = await client.post("/api/v1/auth/wechat-login", json={"code": "demo-amy"})
    assert response.status_code == 502
    assert response.json()["code"] == "wechat_busy"
    assert response.json()["details"] == {"retryable": True}


BAD_LOGIN_BODIES = [
    {},
    {"code": ""},
    {"code": "has space"},
    {"code": "x" * 129},
    {"code": "ok", "nickname": "a\x00b"},
    {"code": "ok", "nickname": "x" * 33},
    {"code": "ok", "avatar_url": "javascript:alert(1)"},
    {"code": "ok", "avatar_url": "//evil.example.com/a.png"},
    {"code": 123},
    [],
]


async def test_bad_login_input_is_422(client, partners):
    for body in BAD_LOGIN_BODIES:
        response = await client.post("/api/v1/auth/wechat-login", json=body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid_input"
    assert partners.wechat.calls["jscode2session"] == 0


async def test_malformed_json_is_400(client, partners):
    response = await client.post(
        "/api/v1/auth/wechat-login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"


async def test_binding_the_wechat_phone_stores_it_encrypted_and_shows_it_masked(client, partners, session):
    login = await wechat_login(client, "alice")
    response = await client.post("/api/v1/auth/phone", json={"code": "phone-13812345678"}, headers=bearer(login))
    assert response.status_code == 200
    assert response.json()["phone_masked"] == "138****5678"

    shopper = (await session.execute(select(Shopper))).scalar_one()
    assert shopper.phone_hash == phone_hash("13812345678")
    assert "13812345678" not in shopper.phone_cipher
    assert decrypt(shopper.phone_cipher, purpose="shopper.phone") == "13812345678"
    await session.rollback()
    me = (await client.get("/api/v1/me", headers=bearer(login))).json()
    assert me["phone_masked"] == "138****5678"
    assert "13812345678" not in str(me)


async def test_a_phone_owned_by_another_shopper_is_409(client, partners):
    alice = await wechat_login(client, "alice")
    bob = await wechat_login(client, "bob")
    bound = await client.post("/api/v1/auth/phone", json={"code": "phone-13812345678"}, headers=bearer(alice))
    assert bound.status_code == 200
    response = await client.post("/api/v1/auth/phone", json={"code": "phone-852-13812345678"}, headers=bearer(bob))
    assert response.status_code == 200  # a different number (country code 852)
    taken = await client.post("/api/v1/auth/phone", json={"code": "phone-13812345678-"}, headers=bearer(bob))
    assert taken.status_code == 422  # the sandbox refuses a malformed phone code: wechat_code_invalid
    assert taken.json()["code"] == "wechat_code_invalid"


async def test_binding_a_phone_taken_by_an_sms_account_is_409(client, partners):
    await sms_login(client, partners.sms, "13812345678")
    alice = await wechat_login(client, "alice")
    response = await client.post("/api/v1/auth/phone", json={"code": "phone-13812345678"}, headers=bearer(alice))
    assert response.status_code == 409
    assert response.json()["code"] == "phone_taken"


async def test_sms_login_after_binding_finds_the_wechat_shopper(client, partners):
    alice = await wechat_login(client, "alice")
    await client.post("/api/v1/auth/phone", json={"code": "phone-13812345678"}, headers=bearer(alice))
    h5 = await sms_login(client, partners.sms, "13812345678")
    assert h5["is_new"] is False
    assert h5["shopper"]["id"] == alice["shopper"]["id"]


async def test_binding_the_phone_needs_a_login(client, partners):
    response = await client.post("/api/v1/auth/phone", json={"code": "phone-13812345678"})
    assert response.status_code == 401


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_login(client, partners, session):
    login = await wechat_login(client, "alice")
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert rotated.status_code == 200
    pair = rotated.json()
    assert pair["refresh_token"] != login["refresh_token"]
    assert (await client.get("/api/v1/me", headers=bearer(pair))).status_code == 200

    replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"

    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert after.status_code == 401
    assert after.json()["code"] == "session_revoked"
    me = await client.get("/api/v1/me", headers=bearer(pair))
    assert me.status_code == 401
    assert me.json()["code"] == "session_revoked"
    revoked = (await session.execute(select(ShopperSession))).scalar_one()
    assert revoked.revoked_reason == "refresh_reused"


async def test_other_logins_survive_a_revoked_one(client, partners):
    phone_login = await wechat_login(client, "alice")
    tablet_login = await wechat_login(client, "alice")
    await client.post("/api/v1/auth/logout", headers=bearer(phone_login))
    assert (await client.get("/api/v1/me", headers=bearer(phone_login))).status_code == 401
    assert (await client.get("/api/v1/me", headers=bearer(tablet_login))).status_code == 200


async def test_logout_ends_the_access_and_refresh_tokens(client, partners):
    login = await wechat_login(client, "alice")
    response = await client.post("/api/v1/auth/logout", headers=bearer(login))
    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(login))).status_code == 401
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert refreshed.status_code == 401


async def test_token_types_cannot_be_swapped(client, partners):
    login = await wechat_login(client, "alice")
    as_refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": login["access_token"]})
    assert as_refresh.status_code == 401
    as_access = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {login['refresh_token']}"})
    assert as_access.status_code == 401


async def test_garbage_refresh_tokens_are_rejected_without_a_500(client, partners):
    for token, status in [("", 422), ("garbage", 401), ("a.b.c", 401), ("x" * 2049, 422), (None, 422)]:
        response = await client.post("/api/v1/auth/refresh", json={"refresh_token": token})
        assert response.status_code == status, token


async def test_refresh_token_expires_after_the_configured_days(client, partners):
    login = await wechat_login(client, "alice")
    clock.advance(timedelta(days=30, seconds=1))
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


async def test_a_disabled_shopper_cannot_log_in(client, partners, session):
    await wechat_login(client, "alice")
    shopper = (await session.execute(select(Shopper))).scalar_one()
    shopper.is_active = False
    await session.commit()
    response = await client.post("/api/v1/auth/wechat-login", json={"code": "demo-alice-again"})
    assert response.status_code == 403
    assert response.json()["code"] == "account_disabled"


async def test_profile_update_and_masked_phone(client, session):
    shopper = await make_shopper(session)
    headers = shopper_headers(shopper)
    response = await client.patch(
        "/api/v1/me", json={"nickname": "  新昵称  ", "avatar_url": "/media/avatars/1.png"}, headers=headers
    )
    assert response.status_code == 200
    assert response.json()["nickname"] == "新昵称"
    assert response.json()["avatar_url"] == "/media/avatars/1.png"
    bad = await client.patch("/api/v1/me", json={"nickname": ""}, headers=headers)
    assert bad.status_code == 422
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_default_partners_come_from_settings_and_the_console_sender_prints_the_code(app, client, capsys):
    """Given no partner on app.state, when an SMS code is requested, then the console sender (the default
    ``QINGMALL_SMS_SENDER``) prints it and a memory rate limiter counts it; the code logs the shopper in."""
    sent = await client.post("/api/v1/auth/sms-code", json={"phone": "13712345678"})
    assert sent.status_code == 200
    printed = capsys.readouterr().out
    code = re.search(r"137\*\*\*\*5678: 您的登录验证码是 (\d{6})", printed).group(1)
    assert "13712345678" not in printed
    assert app.state.rate_limiter.backend == "memory"
    login = await client.post("/api/v1/auth/sms-login", json={"phone": "13712345678", "code": code})
    assert login.status_code == 200

    from qingmall.shoppers.deps import get_wechat_client

    class _Request:
        pass

    request = _Request()
    request.app = app
    wechat = get_wechat_client(request)
    assert wechat.base_url == app.state.settings.resolved_wechat_base_url
    assert wechat.appid == app.state.settings.wechat_appid
    assert get_wechat_client(request) is wechat


async def test_login_through_the_sandbox_mounted_in_the_main_app(app, client):
    """The deployment shape: the sandbox mounted at /sandbox/wechat of the main app, the client calling it."""
    from qingmall.sandbox.wechat import create_wechat_sandbox

    app.mount("/sandbox/wechat", create_wechat_sandbox())
    settings = app.state.settings
    app.state.wechat_client = WeChatClient(
        appid=settings.wechat_appid,
        secret=settings.wechat_secret,
        base_url="http://testserver/sandbox/wechat",
        transport=httpx.ASGITransport(app=app),
        token_cache=AccessTokenCache(),
    )
    login = await wechat_login(client, "mounted")
    bound = await client.post("/api/v1/auth/phone", json={"code": "phone-13600001111"}, headers=bearer(login))
    assert bound.json()["phone_masked"] == "136****1111"


async def test_purge_removes_expired_codes_tokens_and_dead_sessions(client, partners, session):
    from qingmall.shoppers.models import ShopperRefreshToken, SmsCode
    from qingmall.shoppers.tasks import purge_login_records

    logged_out = await wechat_login(client, "alice")
    await client.post("/api/v1/auth/logout", headers=bearer(logged_out))
    live = await wechat_login(client, "bob")
    await client.post("/api/v1/auth/refresh", json={"refresh_token": live["refresh_token"]})
    await client.post("/api/v1/auth/sms-code", json={"phone": "13812345678"})

    nothing = await purge_login_records(session)
    assert (nothing.sms_codes, nothing.refresh_tokens, nothing.sessions) == (0, 0, 0)

    clock.advance(timedelta(days=2))
    early = await purge_login_records(session)
    assert (early.sms_codes, early.refresh_tokens, early.sessions) == (1, 0, 1)  # the revoked session only
    assert (await session.execute(select(ShopperSession))).scalar_one().revoked_at is None
    await session.commit()

    clock.advance(timedelta(days=30))  # bob's newest refresh token has expired: his session is dead
    late = await purge_login_records(session)
    assert (late.sms_codes, late.refresh_tokens, late.sessions) == (0, 2, 1)
    for model in (ShopperSession, ShopperRefreshToken, SmsCode):
        assert (await session.execute(select(model))).first() is None
