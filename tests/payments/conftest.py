"""Payments fixtures: the app with the payments router mounted and WeChat Pay and Alipay clients on their sandboxes."""

from __future__ import annotations

from functools import cache

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import qingmall.payments.models  # noqa: F401  (tables registered before the schema is built)
from qingmall.integrations.alipay import AlipayClient
from qingmall.integrations.wechatpay import SignatureVerifier, WeChatPayClient
from qingmall.payments.gateways import Gateways
from qingmall.sandbox.alipay import AlipaySandbox, create_alipay_sandbox
from qingmall.sandbox.wechatpay import WeChatPaySandbox, create_wechatpay_sandbox

MCHID, MERCHANT_SERIAL = "1900000109", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
APIV3_KEY = "a" * 16 + "0123456789ABCDEF"
ALIPAY_APP_ID = "2021000000000001"


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


@cache
def alipay_app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def alipay_sandbox() -> AlipaySandbox:
    return AlipaySandbox(app_id=ALIPAY_APP_ID, app_public_key=alipay_app_key().public_key())


@pytest.fixture
async def alipay(alipay_sandbox):
    client = AlipayClient(
        app_id=ALIPAY_APP_ID,
        seller_id=alipay_sandbox.seller_id,
        private_key=alipay_app_key(),
        alipay_public_key=alipay_sandbox.alipay_public_key,
        gateway_url="http://alipay.test/gateway.do",
        transport=httpx.ASGITransport(app=create_alipay_sandbox(alipay_sandbox)),
    )
    yield client
    await client.aclose()


@pytest.fixture
def gateways(wechatpay, alipay, settings) -> Gateways:
    return Gateways(
        wechatpay=wechatpay, alipay=alipay, wechat_appid=settings.wechat_appid, notify_base_url="http://testserver"
    )


@pytest.fixture
async def app(app, gateways):
    app.state.payment_gateways = gateways
    return app
