"""Helpers for the shoppers tests: wire the app to the WeChat sandbox, an in-memory SMS sender and a rate
limiter of its own, and log shoppers in through HTTP.

The app reads its partners from ``app.state`` (see ``qingmall.shoppers.deps``), so a test sets
``app.state.wechat_client`` to a client whose transport is ``httpx.ASGITransport(app=create_wechat_sandbox())``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from qingmall.core.ratelimit import RateLimiter
from qingmall.integrations.wechat import AccessTokenCache, WeChatClient
from qingmall.sandbox.wechat import WeChatSandbox, create_wechat_sandbox
from qingmall.shoppers.sms import MemorySmsSender

BEIJING_DONGCHENG = {"province_code": "110000", "city_code": "110100", "district_code": "110101"}
HANGZHOU_XIHU = {"province_code": "330000", "city_code": "330100", "district_code": "330106"}


@dataclass
class Partners:
    wechat: WeChatSandbox
    sms: MemorySmsSender
    limiter: RateLimiter


def wire_partners(app, *, redis_url: str = "") -> Partners:
    settings = app.state.settings
    sandbox = WeChatSandbox(appid=settings.wechat_appid, secret=settings.wechat_secret)
    app.state.wechat_client = WeChatClient(
        appid=settings.wechat_appid,
        secret=settings.wechat_secret,
        base_url="http://wechat.test",
        transport=httpx.ASGITransport(app=create_wechat_sandbox(sandbox)),
        token_cache=AccessTokenCache(),
    )
    sms = MemorySmsSender()
    app.state.sms_sender = sms
    limiter = RateLimiter(redis_url, namespace=f"test-{uuid.uuid4().hex}")
    app.state.rate_limiter = limiter
    return Partners(sandbox, sms, limiter)


async def wechat_login(client: httpx.AsyncClient, name: str, **extra) -> dict:
    response = await client.post("/api/v1/auth/wechat-login", json={"code": f"demo-{name}-{uuid.uuid4().hex}", **extra})
    assert response.status_code == 200, response.text
    return response.json()


async def sms_login(client: httpx.AsyncClient, sms: MemorySmsSender, phone: str) -> dict:
    sent = await client.post("/api/v1/auth/sms-code", json={"phone": phone})
    assert sent.status_code == 200, sent.text
    response = await client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": sms.last_code(phone)})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(login: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {login['access_token']}"}
