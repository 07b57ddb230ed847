"""The fake WeChat server: credentials, single-use codes, deterministic demo users, tokens, failure codes."""

from __future__ import annotations

from datetime import timedelta

import httpx
import orjson
import pytest

from qingmall.core import clock
from qingmall.sandbox.app import create_sandbox_app
from qingmall.sandbox.wechat import WeChatSandbox, create_wechat_sandbox

APPID, SECRET = "wxtestappid000001", "test-secret"


@pytest.fixture
def sandbox() -> WeChatSandbox:
    clock.reset()
    yield WeChatSandbox(appid=APPID, secret=SECRET)
    clock.reset()


@pytest.fixture
async def http(sandbox):
    transport = httpx.ASGITransport(app=create_wechat_sandbox(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://wechat.test") as client:
        yield client


async def code2session(http, code, appid=APPID, secret=SECRET, grant_type="authorization_code"):
    response = await http.get(
        "/sns/jscode2session", params={"appid": appid, "secret": secret, "js_code": code, "grant_type": grant_type}
    )
    assert response.status_code == 200
    return orjson.loads(response.content)


async def token(http, force_refresh=False, **override):
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": force_refresh}
    body.update(override)
    return (await http.post("/cgi-bin/stable_token", json=body)).json()


async def phone(http, access_token, code):
    return (
        await http.post("/wxa/business/getuserphonenumber", params={"access_token": access_token}, json={"code": code})
    ).json()


async def test_demo_code_gives_the_same_openid_every_login_and_is_single_use(http):
    first = await code2session(http, "demo-alice-1")
    second = await code2session(http, "demo-alice-2")
    other = await code2session(http, "demo-bob")
    reused = await code2session(http, "demo-alice-1")

    assert first["openid"] == second["openid"]
    assert first["unionid"] == second["unionid"]
    assert len(first["openid"]) == 28 and first["openid"].startswith("o")
    assert other["openid"] != first["openid"]
    assert first["session_key"] != second["session_key"]
    assert reused["errcode"] == 40029


async def test_random_codes_give_new_openids(http):
    one = await code2session(http, "081abcDEF")
    two = await code2session(http, "081abcXYZ")
    assert "errcode" not in one
    assert one["openid"] != two["openid"]


async def test_jscode2session_answers_json_as_text_plain_like_wechat(http):
    response = await http.get(
        "/sns/jscode2session",
        params={"appid": APPID, "secret": SECRET, "js_code": "demo-x", "grant_type": "authorization_code"},
    )
    assert response.headers["content-type"].startswith("text/plain")
    assert "openid" in orjson.loads(response.content)


@pytest.mark.parametrize(
    ("kwargs", "errcode"),
    [
        ({"appid": "wxwrong"}, 40013),
        ({"secret": "wrong"}, 40125),
        ({"grant_type": "client_credential"}, 40002),
        ({"code": ""}, 41008),
        ({"code": "ratelimit-1"}, 45011),
        ({"code": "risky-1"}, 40226),
        ({"code": "busy-1"}, -1),
    ],
)
async def test_code2session_errors(http, kwargs, errcode):
    code = kwargs.pop("code", "demo-carol")
    body = await code2session(http, code, **kwargs)
    assert body["errcode"] == errcode
    assert "openid" not in body


async def test_failure_codes_are_not_used_up(http):
    assert (await code2session(http, "busy-7"))["errcode"] == -1
    assert (await code2session(http, "busy-7"))["errcode"] == -1


async def test_a_refused_code_is_not_consumed(http):
    assert (await code2session(http, "demo-dan-1", secret="wrong"))["errcode"] == 40125
    assert "openid" in await code2session(http, "demo-dan-1")


async def test_stable_token_is_reused_until_expiry_and_force_refresh_invalidates_the_old(http, sandbox):
    first = await token(http)
    assert first["expires_in"] == 7200
    clock.advance(timedelta(seconds=100))
    again = await token(http)
    assert again["access_token"] == first["access_token"]
    assert 7090 <= again["expires_in"] <= 7100

    forced = await token(http, force_refresh=True)
    assert forced["access_token"] != first["access_token"]
    assert forced["expires_in"] == 7200
    assert (await phone(http, first["access_token"], "phone-13800138000"))["errcode"] == 40001
    assert (await phone(http, forced["access_token"], "phone-13800138000"))["errcode"] == 0

    clock.advance(timedelta(seconds=7200))
    assert (await phone(http, forced["access_token"], "phone-13900139000"))["errcode"] == 40001
    renewed = await token(http)
    assert renewed["access_token"] != forced["access_token"]
    assert sandbox.calls["stable_token"] == 4


@pytest.mark.parametrize(
    ("override", "errcode"),
    [({"appid": "wxother"}, 40013), ({"secret": "nope"}, 40125), ({"grant_type": "password"}, 40002)],
)
async def test_stable_token_checks_credentials(http, override, errcode):
    assert (await token(http, **override))["errcode"] == errcode


async def test_stable_token_rejects_a_body_that_is_not_json(http):
    response = await http.post("/cgi-bin/stable_token", content=b"\x00not json")
    assert response.json()["errcode"] == 47001


async def test_phone_codes_map_to_numbers_and_are_single_use(http):
    access = (await token(http))["access_token"]
    body = await phone(http, access, "phone-13800138000")
    assert body["phone_info"]["purePhoneNumber"] == "13800138000"
    assert body["phone_info"]["phoneNumber"] == "13800138000"
    assert body["phone_info"]["countryCode"] == "86"
    assert body["phone_info"]["watermark"]["appid"] == APPID
    assert (await phone(http, access, "phone-13800138000"))["errcode"] == 40029

    overseas = await phone(http, access, "phone-852-61234567")
    assert overseas["phone_info"]["phoneNumber"] == "+85261234567"
    assert overseas["phone_info"]["countryCode"] == "852"

    derived = (await phone(http, access, "some-real-looking-code"))["phone_info"]["purePhoneNumber"]
    assert len(derived) == 11 and derived.startswith("199")


@pytest.mark.parametrize(
    ("access", "code", "errcode"),
    [
        ("unknown-token", "phone-13800138000", 40001),
        (None, "phone-13800138000", 41001),
        ("VALID", "", 47001),
        ("VALID", "phone-abc", 40029),
        ("VALID", "busy-1", -1),
        ("VALID", "ratelimit-1", 45011),
    ],
)
async def test_phone_number_errors(http, access, code, errcode):
    valid = (await token(http))["access_token"]
    params = {} if access is None else {"access_token": valid if access == "VALID" else access}
    body = (await http.post("/wxa/business/getuserphonenumber", params=params, json={"code": code})).json()
    assert body["errcode"] == errcode


async def test_expire_access_tokens_invalidates_everything(http, sandbox):
    access = (await token(http))["access_token"]
    sandbox.expire_access_tokens()
    assert (await phone(http, access, "phone-13800138001"))["errcode"] == 40001


async def test_standalone_app_serves_wechat_under_sandbox_prefix():
    transport = httpx.ASGITransport(app=create_sandbox_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        index = await client.get("/sandbox")
        assert index.json() == {"fakes": ["wechat"]}
        from qingmall.settings import get_settings

        settings = get_settings()
        response = await client.get(
            "/sandbox/wechat/sns/jscode2session",
            params={
                "appid": settings.wechat_appid,
                "secret": settings.wechat_secret,
                "js_code": "demo-erin",
                "grant_type": "authorization_code",
            },
        )
        assert "openid" in orjson.loads(response.content)
