"""The WeChat client against the sandbox (real HTTP through an ASGI transport) and against broken servers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from qingmall.core import clock
from qingmall.integrations.wechat import (
    AccessTokenCache,
    WeChatAccessTokenInvalid,
    WeChatClient,
    WeChatCodeInvalid,
    WeChatCredentialInvalid,
    WeChatError,
    WeChatHighRisk,
    WeChatRateLimited,
    WeChatUnavailable,
)
from qingmall.sandbox.app import create_sandbox_app
from qingmall.sandbox.wechat import WeChatSandbox, create_wechat_sandbox

APPID, SECRET = "wxclienttest00001", "client-secret"


@pytest.fixture
def sandbox():
    clock.reset()
    yield WeChatSandbox(appid=APPID, secret=SECRET)
    clock.reset()


def make_client(sandbox, *, secret=SECRET, cache=None, margin=timedelta(minutes=5)) -> WeChatClient:
    return WeChatClient(
        appid=APPID,
        secret=secret,
        base_url="http://wechat.test",
        transport=httpx.ASGITransport(app=create_wechat_sandbox(sandbox)),
        token_cache=cache or AccessTokenCache(),
        safety_margin=margin,
    )


async def test_code_to_session_returns_openid_and_hides_the_session_key_from_repr(sandbox):
    client = make_client(sandbox)
    info = await client.code_to_session("demo-alice-1")
    again = await client.code_to_session("demo-alice-2")
    assert info.openid == again.openid
    assert info.unionid is not None
    assert info.session_key
    assert info.session_key not in repr(info)
    assert SECRET not in repr(client)


async def test_unionid_is_none_when_the_app_has_no_open_platform(sandbox):
    sandbox.issue_unionid = False
    info = await make_client(sandbox).code_to_session("demo-bob")
    assert info.unionid is None


@pytest.mark.parametrize(
    ("code", "error", "errcode", "retryable"),
    [
        ("ratelimit-x", WeChatRateLimited, 45011, True),
        ("risky-x", WeChatHighRisk, 40226, False),
        ("busy-x", WeChatUnavailable, -1, True),
    ],
)
async def test_errcodes_become_typed_errors(sandbox, code, error, errcode, retryable):
    with pytest.raises(error) as caught:
        await make_client(sandbox).code_to_session(code)
    assert caught.value.errcode == errcode
    assert caught.value.retryable is retryable


async def test_reused_code_is_code_invalid(sandbox):
    client = make_client(sandbox)
    await client.code_to_session("demo-carol-1")
    with pytest.raises(WeChatCodeInvalid) as caught:
        await client.code_to_session("demo-carol-1")
    assert caught.value.errcode == 40029


async def test_wrong_secret_is_a_credential_error(sandbox):
    with pytest.raises(WeChatCredentialInvalid) as caught:
        await make_client(sandbox, secret="wrong").code_to_session("demo-dan")
    assert caught.value.errcode == 40125


async def test_access_token_is_cached_per_appid_and_shared_through_the_cache(sandbox):
    cache = AccessTokenCache()
    first, second = make_client(sandbox, cache=cache), make_client(sandbox, cache=cache)
    phone = await first.get_phone_number("phone-13800138000")
    await second.get_phone_number("phone-13900139000")
    await first.get_phone_number("phone-13700137000")
    assert phone.pure_phone_number == "13800138000"
    assert phone.country_code == "86"
    assert sandbox.calls["stable_token"] == 1
    assert sandbox.calls["getuserphonenumber"] == 3


async def test_token_is_refetched_inside_the_safety_margin(sandbox):
    client = make_client(sandbox, margin=timedelta(minutes=5))
    token = await client.get_access_token()
    clock.advance(timedelta(seconds=7200 - 301))
    assert await client.get_access_token() == token
    assert sandbox.calls["stable_token"] == 1
    clock.advance(timedelta(seconds=2))
    assert await client.get_access_token() == token  # stable_token returns the same token while it lives
    assert sandbox.calls["stable_token"] == 2
    assert await client.get_access_token() == token  # and it is cached for half of what remains
    assert sandbox.calls["stable_token"] == 2
    clock.advance(timedelta(seconds=300))
    renewed = await client.get_access_token()
    assert renewed != token


async def test_concurrent_callers_on_a_cold_cache_fetch_once(sandbox):
    client = make_client(sandbox)
    tokens = await asyncio.gather(*(client.get_access_token() for _ in range(8)))
    assert len(set(tokens)) == 1
    assert sandbox.calls["stable_token"] == 1


async def test_invalidated_token_is_dropped_refetched_and_the_call_retried(sandbox):
    client = make_client(sandbox)
    await client.get_phone_number("phone-13800138000")
    sandbox.expire_access_tokens()
    phone = await client.get_phone_number("phone-13800138001")
    assert phone.pure_phone_number == "13800138001"
    assert sandbox.calls["stable_token"] == 2
    assert sandbox.calls["getuserphonenumber"] == 3


def scripted(handler) -> WeChatClient:
    return WeChatClient(
        appid=APPID,
        secret=SECRET,
        base_url="http://wechat.test",
        transport=httpx.MockTransport(handler),
        token_cache=AccessTokenCache(),
    )


@pytest.mark.parametrize("errcode", [40001, 42001, 40014])
async def test_a_token_rejected_twice_raises_after_one_retry(errcode):
    calls = {"token": 0, "phone": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            calls["token"] += 1
            return httpx.Response(200, json={"access_token": f"t{calls['token']}", "expires_in": 7200})
        calls["phone"] += 1
        assert request.url.params["access_token"] == f"t{calls['phone']}"
        return httpx.Response(200, json={"errcode": errcode, "errmsg": "invalid credential"})

    with pytest.raises(WeChatAccessTokenInvalid):
        await scripted(handler).get_phone_number("phone-13800138000")
    assert calls == {"token": 2, "phone": 2}


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(502, text="bad gateway"),
        httpx.Response(200, text="<html>not json</html>"),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(200, json={"session_key": "k"}),
    ],
)
async def test_broken_replies_are_retryable_unavailable(reply):
    with pytest.raises(WeChatUnavailable) as caught:
        await scripted(lambda request: reply).code_to_session("demo-x")
    assert caught.value.retryable is True


async def test_network_errors_are_retryable_unavailable():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    with pytest.raises(WeChatUnavailable):
        await scripted(handler).code_to_session("demo-x")


async def test_unknown_errcode_keeps_the_code():
    client = scripted(lambda request: httpx.Response(200, json={"errcode": 61024, "errmsg": "odd"}))
    with pytest.raises(WeChatError) as caught:
        await client.code_to_session("demo-x")
    assert type(caught.value) is WeChatError
    assert caught.value.errcode == 61024


async def test_country_code_given_as_a_number_is_normalised():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 7200})
        info = {"phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": 86}
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "phone_info": info})

    phone = await scripted(handler).get_phone_number("c")
    assert phone.country_code == "86"


async def test_base_url_with_a_path_prefix_reaches_the_mounted_sandbox():
    from qingmall.settings import get_settings

    settings = get_settings()
    client = WeChatClient(
        appid=settings.wechat_appid,
        secret=settings.wechat_secret,
        base_url="http://127.0.0.1:8000/sandbox/wechat/",
        transport=httpx.ASGITransport(app=create_sandbox_app()),
        token_cache=AccessTokenCache(),
    )
    info = await client.code_to_session("demo-frank")
    phone = await client.get_phone_number("phone-13600136000")
    await client.aclose()
    assert info.openid.startswith("o")
    assert phone.pure_phone_number == "13600136000"
