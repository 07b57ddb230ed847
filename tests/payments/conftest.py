"""Payments fixtures: the app with the payments router mounted and a WeChat Pay client on the sandbox."""

from __future__ import annotations

from functools import cache

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import qingmall.payments.models  # noqa: F401  (tables registered before the schema is built)
from qingmall.integrations.wechatpay import SignatureVerifier, WeChatPayClient
from qingmall.sandbox.wechatpay import WeChatPaySandbox, create_wechatpay_sandbox

MCHID, MERCHANT_SERIAL = "1900000109", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
APIV3_KEY = "a" * 16 + "0123456789ABCDEF"


@cache
def merchant_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sandbox(settings) -> WeChatPaySandbox:
    return WeChatPaySandbox(
        mchid=MCHID,
        appid=settings.wechat_appid,
        apiv3_key=APIV3_KEY,
        merchant_serial_no=MERCHANT_SERIAL,
        merchant_public_key=merchant_key().public_key(),
    )


@pytest.fixture
async def wechatpay(sandbox):
    client = WeChatPayClient(
        mchid=MCHID,
        merchant_serial_no=MERCHANT_SERIAL,
        merchant_private_key=merchant_key(),
        apiv3_key=APIV3_KEY,
        verifier=SignatureVerifier(public_keys={sandbox.public_key_id: sandbox.public_key}),
        base_url="http://wechatpay.test",
        transport=httpx.ASGITransport(app=create_wechatpay_sandbox(sandbox)),
    )
    yield client
    await client.aclose()


@pytest.fixture
async def app(app, wechatpay):
    app.state.wechatpay_client = wechatpay
    return app
