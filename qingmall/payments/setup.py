"""Build the app's payment gateways from settings: real partners in production, in-process sandboxes on a laptop.

- A channel configured in settings (``QINGMALL_WECHATPAY_MCHID`` ..., ``QINGMALL_ALIPAY_APP_ID`` ...) talks to
  its configured base URL with the configured keys.
- A channel left unconfigured while the sandbox is enabled (development) pays through the sandbox fake,
  mounted at ``/sandbox/wechatpay`` / ``/sandbox/alipay`` so its cashier pages are reachable from a
  browser; the client reaches the same fake in-process (``httpx.ASGITransport``, no socket). The
  merchant-side keys are generated once into ``<data_dir>/dev-keys/`` (mode 0600) and reused; the fakes'
  own keys are generated at start-up (the fakes forget their trades on restart anyway).
- A channel left unconfigured in production is disabled (its routes answer 409 ``payment_channel_disabled``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from qingmall.integrations.alipay import AlipayClient
from qingmall.integrations.wechatpay import (
    SignatureVerifier,
    WeChatPayClient,
    load_certificate,
    load_private_key,
    load_public_key,
)
from qingmall.payments.gateways import Gateways
from qingmall.settings import Settings

SANDBOX_MCHID = "1900000109"
SANDBOX_ALIPAY_APP_ID = "2021000000000001"


@dataclass
class PaymentSetup:
    """The gateways plus the sandbox apps to mount (path -> ASGI app) and their states (for tests/tools)."""

    gateways: Gateways
    mounts: dict[str, FastAPI] = field(default_factory=dict)
    sandboxes: dict[str, object] = field(default_factory=dict)


def _dev_key(directory: Path, name: str) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key kept in ``directory/name`` (PKCS#8 PEM, 0600), created on first use."""
    path = directory / name
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.write_bytes(pem)
        path.chmod(0o600)
    return load_private_key(path.read_bytes())


def _dev_secret(directory: Path, name: str) -> str:
    path = directory / name
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
        path.chmod(0o600)
    return path.read_text().strip()


def _configured_wechatpay(settings: Settings) -> WeChatPayClient:
    public_keys = {}
    if settings.wechatpay_public_key_path:
        public_keys[settings.wechatpay_public_key_id] = load_public_key(
            Path(settings.wechatpay_public_key_path).read_bytes()
        )
    certificates = []
    if settings.wechatpay_platform_certificate_path:
        certificates.append(load_certificate(Path(settings.wechatpay_platform_certificate_path).read_bytes()))
    return WeChatPayClient(
        mchid=settings.wechatpay_mchid,
        merchant_serial_no=settings.wechatpay_merchant_serial_no,
        merchant_private_key=load_private_key(Path(settings.wechatpay_private_key_path).read_bytes()),
        apiv3_key=settings.wechatpay_apiv3_key,
        verifier=SignatureVerifier(public_keys=public_keys, certificates=certificates),
        **({"base_url": settings.wechatpay_base_url} if settings.wechatpay_base_url else {}),
    )


@cache
def _wechatpay_sandbox(data_dir: Path, appid: str) -> tuple[Any, FastAPI, rsa.RSAPrivateKey, str, str]:
    """One fake per data directory and process (generating its keys costs RSA key generations)."""
    from qingmall.sandbox.wechatpay import WeChatPaySandbox, create_wechatpay_sandbox

    keys = data_dir / "dev-keys"
    merchant_key = _dev_key(keys, "wechatpay_merchant_key.pem")
    apiv3_key = _dev_secret(keys, "wechatpay_apiv3.key")
    serial = hashlib.sha1(merchant_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest().upper()
    state = WeChatPaySandbox(
        mchid=SANDBOX_MCHID, appid=appid, apiv3_key=apiv3_key, merchant_serial_no=serial,
        merchant_public_key=merchant_key.public_key(),
    )
    return state, create_wechatpay_sandbox(state), merchant_key, apiv3_key, serial


def _sandbox_wechatpay(settings: Settings, setup: PaymentSetup) -> WeChatPayClient:
    state, sandbox_app, merchant_key, apiv3_key, serial = _wechatpay_sandbox(
        settings.data_dir.resolve(), settings.wechat_appid
    )
    # demo refunds finish by themselves and REFUND.SUCCESS reaches the app (0: only on request, as in tests)
    state.refund_completion_delay = settings.sandbox_refund_seconds or None
    if settings.public_base_url:
        state.public_base_url = settings.public_base_url.rstrip("/") + "/sandbox/wechatpay"
    setup.mounts["/sandbox/wechatpay"] = sandbox_app
    setup.sandboxes["wechatpay"] = state
    return WeChatPayClient(
        mchid=SANDBOX_MCHID, merchant_serial_no=serial, merchant_private_key=merchant_key, apiv3_key=apiv3_key,
        verifier=SignatureVerifier(public_keys={state.public_key_id: state.public_key}),
        base_url="http://wechatpay.sandbox", transport=httpx.ASGITransport(app=sandbox_app),
    )


def _configured_alipay(settings: Settings) -> AlipayClient:
    return AlipayClient(
        app_id=settings.alipay_app_id,
        seller_id=settings.alipay_seller_id,
        private_key=Path(settings.alipay_private_key_path).read_bytes(),
        alipay_public_key=Path(settings.alipay_public_key_path).read_bytes(),
        **({"gateway_url": settings.alipay_gateway_url} if settings.alipay_gateway_url else {}),
    )


@cache
def _alipay_sandbox(data_dir: Path) -> tuple[Any, FastAPI, rsa.RSAPrivateKey]:
    from qingmall.sandbox.alipay import AlipaySandbox, create_alipay_sandbox

    app_key = _dev_key(data_dir / "dev-keys", "alipay_app_key.pem")
    state = AlipaySandbox(app_id=SANDBOX_ALIPAY_APP_ID, app_public_key=app_key.public_key())
    return state, create_alipay_sandbox(state), app_key


def _sandbox_alipay(settings: Settings, setup: PaymentSetup) -> AlipayClient:
    state, sandbox_app, app_key = _alipay_sandbox(settings.data_dir.resolve())
    setup.mounts["/sandbox/alipay"] = sandbox_app
    setup.sandboxes["alipay"] = state
    return AlipayClient(
        app_id=SANDBOX_ALIPAY_APP_ID, seller_id=state.seller_id, private_key=app_key,
        alipay_public_key=state.alipay_public_key, gateway_url="http://alipay.sandbox/gateway.do",
        transport=httpx.ASGITransport(app=sandbox_app),
    )


def build_payment_setup(settings: Settings) -> PaymentSetup:
    """The gateways of this configuration (see the module docstring)."""
    setup = PaymentSetup(Gateways(
        wechat_appid=settings.wechat_appid, notify_base_url=settings.public_base_url,
        huabei_seller_percent=settings.alipay_huabei_seller_percent,
    ))
    sandbox = settings.resolved_sandbox_enabled
    if settings.wechatpay_mchid:
        setup.gateways.wechatpay = _configured_wechatpay(settings)
    elif sandbox:
        setup.gateways.wechatpay = _sandbox_wechatpay(settings, setup)
    if settings.alipay_app_id:
        setup.gateways.alipay = _configured_alipay(settings)
    elif sandbox:
        setup.gateways.alipay = _sandbox_alipay(settings, setup)
    return setup
