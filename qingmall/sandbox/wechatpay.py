"""A fake of the WeChat Pay API v3 server (JSAPI), with real cryptography, for development and tests.

Serves at its root the paths of ``api.mch.weixin.qq.com`` that Qingmall uses:

- ``POST /v3/pay/transactions/jsapi``: validates the order, returns ``prepay_id``; the same
  ``out_trade_no`` with the same parameters gives the same ``prepay_id``, different ones 400 INVALID_REQUEST;
  a paid order 400 ORDERPAID, a closed one 400 ORDER_CLOSED.
- ``GET /v3/pay/transactions/out-trade-no/{no}?mchid=``: the order (404 ORDER_NOT_EXIST).
- ``POST /v3/pay/transactions/out-trade-no/{no}/close``: 204; a paid order 400 ORDERPAID.
- ``POST /v3/refund/domestic/refunds``: PROCESSING refund, idempotent on ``out_refund_no``; refunds over
  the paid amount or of an unpaid order 400 INVALID_REQUEST / 404 RESOURCE_NOT_EXISTS.

Every request must carry a valid merchant ``Authorization`` (SHA256withRSA by the merchant key registered
under ``merchant_serial_no``, timestamp within 5 minutes): otherwise 401 SIGN_ERROR. Every response is
signed with the sandbox's own key: in ``mode="public_key"`` with the WeChat Pay public key (serial
``PUB_KEY_ID_...``), in ``mode="certificate"`` with the platform certificate's key (serial = certificate
serial). Both key pairs and the self-signed certificate are generated at start-up, never stored.

Tests drive payments with ``pay`` / ``complete_refund`` and get the matching signed, encrypted callback
from ``build_notification`` (also in ``stale``, ``forged`` and ``probe`` variants).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request
from starlette.responses import Response

from qingmall.core import clock
from qingmall.integrations.wechatpay.crypto import (
    AUTH_SCHEMA,
    PROBE_SIGNATURE_PREFIX,
    PUBLIC_KEY_SERIAL_PREFIX,
    aes_gcm_encrypt,
    certificate_serial,
    check_timestamp,
    new_nonce,
    parse_authorization,
    request_message,
    response_message,
    rsa_sign,
    rsa_verify,
)
from qingmall.integrations.wechatpay.errors import WeChatPayVerificationError

_OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
_OUT_REFUND_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
NotificationVariant = Literal["valid", "stale", "forged", "probe"]


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _self_signed_certificate(key: rsa.RSAPrivateKey, mchid: str) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Qingmall WeChat Pay sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Tenpay.com Root CA sandbox {mchid}"),
        ]
    )
    now = clock.now()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=5 * 365))
        .sign(key, hashes.SHA256())
    )


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#8 PEM, the format of ``apiclient_key.pem`` (and what the wechatpayv3 SDK loads)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class SandboxError(Exception):
    """An error reply of the fake: HTTP status plus WeChat Pay's ``code`` and ``message``."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message


@dataclass
class SandboxOrder:
    """One JSAPI order held by the fake."""

    appid: str
    out_trade_no: str
    description: str
    total: int
    currency: str
    openid: str
    notify_url: str
    attach: str | None
    prepay_id: str
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: datetime | None = None
    refunded: int = 0


@dataclass
class SandboxRefund:
    """One refund held by the fake."""

    refund_id: str
    out_refund_no: str
    out_trade_no: str
    refund: int
    total: int
    currency: str
    reason: str | None
    notify_url: str | None
    create_time: datetime
    status: str = "PROCESSING"
    success_time: datetime | None = None


@dataclass(frozen=True)
class SandboxNotification:
    """A callback as WeChat Pay would POST it to ``notify_url``: raw body bytes and its headers."""

    headers: dict[str, str]
    body: bytes
    plaintext: dict[str, Any] = field(repr=False)


def _rfc3339(moment: datetime) -> str:
    return clock.to_shanghai(moment).isoformat(timespec="seconds")


class WeChatPaySandbox:
    """The fake server's state: one merchant (its API key + APIv3 key), WeChat Pay's keys and the orders.

    ``mode`` picks the key that signs responses and notifications; both the public key (``public_key_id``)
    and the platform certificate (``certificate``) exist from the start so a client can be configured with
    either or both, and a test can switch ``mode`` mid-way as a real migration would.
    """

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        apiv3_key: str,
        merchant_serial_no: str,
        merchant_public_key: rsa.RSAPublicKey,
        mode: Literal["public_key", "certificate"] = "public_key",
    ) -> None:
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key is 32 bytes")
        self.mchid = mchid
        self.appid = appid
        self.apiv3_key = apiv3_key
        self.merchant_serial_no = merchant_serial_no
        self.merchant_public_key = merchant_public_key
        self.mode = mode
        self.public_key_id = PUBLIC_KEY_SERIAL_PREFIX + secrets.token_hex(16).upper()
        self._public_key_signer = _new_key()
        self._certificate_signer = _new_key()
        self.certificate = _self_signed_certificate(self._certificate_signer, mchid)
        self.certificate_serial = certificate_serial(self.certificate)
        self.calls: Counter[str] = Counter()
        self.orders: dict[str, SandboxOrder] = {}
        self.refunds: dict[str, SandboxRefund] = {}
        self._lock = threading.Lock()

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """WeChat Pay's public key (the one behind ``public_key_id``)."""
        return self._public_key_signer.public_key()

    @property
    def public_key_pem(self) -> str:
        return public_key_pem(self.public_key)

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def _signer(self) -> tuple[str, rsa.RSAPrivateKey]:
        if self.mode == "public_key":
            return self.public_key_id, self._public_key_signer
        return self.certificate_serial, self._certificate_signer

    def signed_headers(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        """The ``Wechatpay-*`` headers WeChat Pay puts on a response or notification with this body."""
        serial, key = self._signer()
        ts = str(timestamp if timestamp is not None else int(clock.now().timestamp()))
        nonce = new_nonce()
        return {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": rsa_sign(key, response_message(ts, nonce, body.decode())),
            "Wechatpay-Serial": serial,
            "Wechatpay-Signature-Type": AUTH_SCHEMA,
            "Request-ID": secrets.token_hex(16),
        }

    def check_authorization(self, *, method: str, path_with_query: str, body: bytes, authorization: str) -> None:
        """Raise ``SandboxError(401, SIGN_ERROR)`` unless the merchant signed exactly this request, recently."""
        try:
            params = parse_authorization(authorization)
            if params["mchid"] != self.mchid or params["serial_no"] != self.merchant_serial_no:
                raise SandboxError(401, "SIGN_ERROR", "商户号或证书序列号错误")
            message = request_message(method, path_with_query, params["timestamp"], params["nonce_str"], body.decode())
            if not rsa_verify(self.merchant_public_key, message, params["signature"]):
                raise SandboxError(401, "SIGN_ERROR", "签名错误")
            check_timestamp(params["timestamp"])
        except (WeChatPayVerificationError, UnicodeDecodeError) as exc:
            raise SandboxError(401, "SIGN_ERROR", f"签名错误: {exc}") from exc

    def jsapi_prepay(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise SandboxError(400, "PARAM_ERROR", "请求体不是 JSON 对象")
        amount = payload.get("amount") if isinstance(payload.get("amount"), dict) else {}
        payer = payload.get("payer") if isinstance(payload.get("payer"), dict) else {}
        out_trade_no = payload.get("out_trade_no")
        description = payload.get("description")
        total = amount.get("total")
        if payload.get("mchid") != self.mchid:
            raise SandboxError(400, "MCH_NOT_EXISTS", "商户号不存在")
        if payload.get("appid") != self.appid:
            raise SandboxError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        if not isinstance(out_trade_no, str) or not _OUT_TRADE_NO.match(out_trade_no):
            raise SandboxError(400, "PARAM_ERROR", "out_trade_no 格式错误")
        if not isinstance(description, str) or not 1 <= len(description) <= 127:
            raise SandboxError(400, "PARAM_ERROR", "description 长度错误")
        if not isinstance(total, int) or isinstance(total, bool) or total < 1:
            raise SandboxError(400, "PARAM_ERROR", "amount.total 必须为正整数（分）")
        if not isinstance(payer.get("openid"), str) or not payer["openid"]:
            raise SandboxError(400, "PARAM_ERROR", "缺少 payer.openid")
        if not isinstance(payload.get("notify_url"), str) or not payload["notify_url"].startswith("http"):
            raise SandboxError(400, "PARAM_ERROR", "notify_url 格式错误")
        with self._lock:
            self.calls["jsapi"] += 1
            existing = self.orders.get(out_trade_no)
            if existing is not None:
                if existing.trade_state in ("SUCCESS", "REFUND"):
                    raise SandboxError(400, "ORDERPAID", "该订单已支付")
                if existing.trade_state == "CLOSED":
                    raise SandboxError(400, "ORDER_CLOSED", "订单已关闭")
                same = (existing.total, existing.openid, existing.description, existing.appid) == (
                    total,
                    payer["openid"],
                    description,
                    payload["appid"],
                )
                if not same:
                    raise SandboxError(400, "INVALID_REQUEST", "201 商户订单号重复")
                return {"prepay_id": existing.prepay_id}
            order = SandboxOrder(
                appid=payload["appid"],
                out_trade_no=out_trade_no,
                description=description,
                total=total,
                currency=str(amount.get("currency") or "CNY"),
                openid=payer["openid"],
                notify_url=payload["notify_url"],
                attach=payload.get("attach") if isinstance(payload.get("attach"), str) else None,
                prepay_id="wx" + secrets.token_hex(16),
            )
            self.orders[out_trade_no] = order
            return {"prepay_id": order.prepay_id}

    def _order(self, out_trade_no: str) -> SandboxOrder:
        order = self.orders.get(out_trade_no)
        if order is None:
            raise SandboxError(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def transaction_json(self, order: SandboxOrder) -> dict[str, Any]:
        data: dict[str, Any] = {
            "appid": order.appid,
            "mchid": self.mchid,
            "out_trade_no": order.out_trade_no,
            "trade_type": "JSAPI",
            "trade_state": order.trade_state,
            "trade_state_desc": {"NOTPAY": "订单未支付", "SUCCESS": "支付成功", "CLOSED": "订单已关闭"}.get(
                order.trade_state, order.trade_state
            ),
            "payer": {"openid": order.openid},
            "amount": {"total": order.total, "currency": order.currency},
        }
        if order.attach is not None:
            data["attach"] = order.attach
        if order.transaction_id is not None:
            data["transaction_id"] = order.transaction_id
            data["bank_type"] = "OTHERS"
            data["amount"].update({"payer_total": order.total, "payer_currency": order.currency})
        if order.success_time is not None:
            data["success_time"] = _rfc3339(order.success_time)
        return data

    def query(self, out_trade_no: str, mchid: str | None) -> dict[str, Any]:
        with self._lock:
            self.calls["query"] += 1
            if mchid != self.mchid:
                raise SandboxError(400, "PARAM_ERROR", "mchid 错误")
            return self.transaction_json(self._order(out_trade_no))

    def close(self, out_trade_no: str, payload: Any) -> None:
        with self._lock:
            self.calls["close"] += 1
            if not isinstance(payload, dict) or payload.get("mchid") != self.mchid:
                raise SandboxError(400, "PARAM_ERROR", "mchid 错误")
            order = self._order(out_trade_no)
            if order.trade_state in ("SUCCESS", "REFUND"):
                raise SandboxError(400, "ORDERPAID", "订单已支付，不能关单")
            order.trade_state = "CLOSED"

    def pay(self, out_trade_no: str) -> SandboxOrder:
        """Simulate the shopper paying: NOTPAY -> SUCCESS with a transaction_id (tests and demos)."""
        with self._lock:
            order = self._order(out_trade_no)
            if order.trade_state != "NOTPAY":
                raise SandboxError(400, "ORDER_CLOSED" if order.trade_state == "CLOSED" else "ORDERPAID", "状态错误")
            order.trade_state = "SUCCESS"
            order.transaction_id = "4200" + secrets.token_hex(12)
            order.success_time = clock.now()
            return order

    def refund_json(self, refund: SandboxRefund) -> dict[str, Any]:
        order = self.orders[refund.out_trade_no]
        data: dict[str, Any] = {
            "refund_id": refund.refund_id,
            "out_refund_no": refund.out_refund_no,
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": _rfc3339(refund.create_time),
            "status": refund.status,
            "amount": {
                "total": refund.total,
                "refund": refund.refund,
                "payer_total": refund.total,
                "payer_refund": refund.refund,
                "currency": refund.currency,
            },
        }
        if refund.success_time is not None:
            data["success_time"] = _rfc3339(refund.success_time)
        return data

    def create_refund(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise SandboxError(400, "PARAM_ERROR", "请求体不是 JSON 对象")
        amount = payload.get("amount") if isinstance(payload.get("amount"), dict) else {}
        out_refund_no = payload.get("out_refund_no")
        refund, total = amount.get("refund"), amount.get("total")
        if not isinstance(out_refund_no, str) or not _OUT_REFUND_NO.match(out_refund_no):
            raise SandboxError(400, "PARAM_ERROR", "out_refund_no 格式错误")
        for value in (refund, total):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SandboxError(400, "PARAM_ERROR", "amount.refund / amount.total 必须为正整数（分）")
        with self._lock:
            self.calls["refund"] += 1
            order = None
            if isinstance(payload.get("out_trade_no"), str):
                order = self.orders.get(payload["out_trade_no"])
            elif isinstance(payload.get("transaction_id"), str):
                order = next((o for o in self.orders.values() if o.transaction_id == payload["transaction_id"]), None)
            if order is None or order.transaction_id is None:
                raise SandboxError(404, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
            existing = self.refunds.get(out_refund_no)
            if existing is not None:
                if (existing.out_trade_no, existing.refund) != (order.out_trade_no, refund):
                    raise SandboxError(400, "INVALID_REQUEST", "退款单号已存在且参数不一致")
                return self.refund_json(existing)
            if total != order.total:
                raise SandboxError(400, "INVALID_REQUEST", "订单金额与原订单不一致")
            if order.refunded + refund > order.total:
                raise SandboxError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            order.refunded += refund
            record = SandboxRefund(
                refund_id="5030" + secrets.token_hex(12),
                out_refund_no=out_refund_no,
                out_trade_no=order.out_trade_no,
                refund=refund,
                total=total,
                currency=str(amount.get("currency") or "CNY"),
                reason=payload.get("reason") if isinstance(payload.get("reason"), str) else None,
                notify_url=payload.get("notify_url") if isinstance(payload.get("notify_url"), str) else None,
                create_time=clock.now(),
            )
            self.refunds[out_refund_no] = record
            return self.refund_json(record)

    def complete_refund(self, out_refund_no: str, status: str = "SUCCESS") -> SandboxRefund:
        """Move a PROCESSING refund to SUCCESS, CLOSED or ABNORMAL (a refund that does not succeed is restored)."""
        with self._lock:
            refund = self.refunds[out_refund_no]
            order = self.orders[refund.out_trade_no]
            refund.status = status
            if status == "SUCCESS":
                refund.success_time = clock.now()
                order.trade_state = "REFUND"
            else:
                order.refunded -= refund.refund
            return refund

    def build_notification(
        self,
        out_trade_no: str | None = None,
        *,
        out_refund_no: str | None = None,
        variant: NotificationVariant = "valid",
    ) -> SandboxNotification:
        """The callback WeChat Pay would send now for an order (payment) or a refund (``out_refund_no``).

        ``variant``: ``stale`` is correctly signed but 6 minutes old; ``forged`` is signed with a random key
        under the real serial; ``probe`` carries a ``WECHATPAY/SIGNTEST/`` signature like WeChat's probes.
        """
        with self._lock:
            if out_refund_no is not None:
                refund = self.refunds[out_refund_no]
                plaintext = self.refund_json(refund)
                plaintext.pop("status")
                plaintext.update({"mchid": self.mchid, "refund_status": refund.status})
                event_type, original_type, summary = f"REFUND.{refund.status}", "refund", "退款状态变更"
            else:
                if out_trade_no is None:
                    raise ValueError("give out_trade_no or out_refund_no")
                plaintext = self.transaction_json(self._order(out_trade_no))
                event_type, original_type, summary = "TRANSACTION.SUCCESS", "transaction", "支付成功"
        now = clock.now()
        nonce = secrets.token_urlsafe(9)[:12]
        associated_data = original_type
        envelope = {
            "id": secrets.token_hex(18),
            "create_time": _rfc3339(now),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": aes_gcm_encrypt(self.apiv3_key, nonce, orjson.dumps(plaintext), associated_data),
                "associated_data": associated_data,
                "nonce": nonce,
            },
        }
        body = orjson.dumps(envelope)
        timestamp = int(now.timestamp()) - (360 if variant == "stale" else 0)
        headers = self.signed_headers(body, timestamp=timestamp)
        if variant == "forged":
            message = response_message(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], body.decode())
            headers["Wechatpay-Signature"] = rsa_sign(_new_key(), message)
        elif variant == "probe":
            headers["Wechatpay-Signature"] = PROBE_SIGNATURE_PREFIX + secrets.token_hex(16)
        return SandboxNotification(headers=headers, body=body, plaintext=plaintext)


def _path_with_query(request: Request) -> str:
    """The request target as the merchant signed it: the raw path below any mount prefix, plus the raw query."""
    path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    query = request.scope.get("query_string", b"").decode("latin-1")
    return path + ("?" + query if query else "")


def create_wechatpay_sandbox(state: WeChatPaySandbox) -> FastAPI:
    """The fake WeChat Pay API as an ASGI app serving at its root; ``app.state.wechatpay`` is ``state``."""
    sandbox = state
    app = FastAPI(title="WeChat Pay sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.wechatpay = sandbox

    def reply(status_code: int, data: dict[str, Any] | None) -> Response:
        body = orjson.dumps(data) if data is not None else b""
        headers = sandbox.signed_headers(body)
        media = "application/json" if data is not None else None
        return Response(body, status_code=status_code, headers=headers, media_type=media)

    async def handle(request: Request, action: Any) -> Response:
        body = await request.body()
        try:
            sandbox.check_authorization(
                method=request.method,
                path_with_query=_path_with_query(request),
                body=body,
                authorization=request.headers.get("authorization", ""),
            )
            payload: Any = None
            if body:
                try:
                    payload = orjson.loads(body)
                except orjson.JSONDecodeError:
                    raise SandboxError(400, "PARAM_ERROR", "请求体不是合法 JSON") from None
            result = action(payload)
        except SandboxError as exc:
            return reply(exc.status_code, {"code": exc.code, "message": exc.message})
        return reply(204, None) if result is None else reply(200, result)

    @app.post("/v3/pay/transactions/jsapi")
    async def jsapi(request: Request) -> Response:
        return await handle(request, sandbox.jsapi_prepay)

    @app.get("/v3/pay/transactions/out-trade-no/{out_trade_no}")
    async def query(request: Request, out_trade_no: str) -> Response:
        return await handle(request, lambda _: sandbox.query(out_trade_no, request.query_params.get("mchid")))

    @app.post("/v3/pay/transactions/out-trade-no/{out_trade_no}/close")
    async def close(request: Request, out_trade_no: str) -> Response:
        return await handle(request, lambda payload: sandbox.close(out_trade_no, payload))

    @app.post("/v3/refund/domestic/refunds")
    async def refund(request: Request) -> Response:
        return await handle(request, sandbox.create_refund)

    return app
