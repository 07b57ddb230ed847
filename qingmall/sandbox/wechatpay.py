"""A fake of the WeChat Pay API v3 server (JSAPI and H5), with real cryptography, for development and tests.

Serves at its root the paths of ``api.mch.weixin.qq.com`` that Qingmall uses:

- ``POST /v3/pay/transactions/jsapi``: validates the order, returns ``prepay_id``; the same
  ``out_trade_no`` with the same parameters gives the same ``prepay_id``, different ones 400 INVALID_REQUEST;
  a paid order 400 ORDERPAID, a closed one 400 ORDER_CLOSED.
- ``POST /v3/pay/transactions/h5``: the same rules minus ``payer``, plus ``scene_info.payer_client_ip`` and
  ``scene_info.h5_info.type``; returns ``h5_url``, a link to the sandbox cashier valid for 5 minutes (a new
  call with the same parameters gives a new link, as WeChat's ``h5_url`` expires).
- ``GET /v3/pay/transactions/out-trade-no/{no}?mchid=``: the order (404 ORDER_NOT_EXIST).
- ``POST /v3/pay/transactions/out-trade-no/{no}/close``: 204; a paid order 400 ORDERPAID.
- ``POST /v3/refund/domestic/refunds``: PROCESSING refund, idempotent on ``out_refund_no``; refunds over
  the paid amount or of an unpaid order 400 INVALID_REQUEST / 404 RESOURCE_NOT_EXISTS.
- ``GET /v3/refund/domestic/refunds/{out_refund_no}``: the refund (404 RESOURCE_NOT_EXISTS).

Every request must carry a valid merchant ``Authorization`` (SHA256withRSA by the merchant key registered
under ``merchant_serial_no``, timestamp within 5 minutes): otherwise 401 SIGN_ERROR. Every response is
signed with the sandbox's own key: in ``mode="public_key"`` with the WeChat Pay public key (serial
``PUB_KEY_ID_...``), in ``mode="certificate"`` with the platform certificate's key (serial = certificate
serial). Both key pairs and the self-signed certificate are generated at start-up, never stored.

Tests drive payments with ``pay`` / ``complete_refund`` and get the matching signed, encrypted callback
from ``build_notification`` (also in ``stale``, ``forged`` and ``probe`` variants). The browser side (the
cashier a shopper pays in, and the routes that really POST notifications to ``notify_url``) is in
``wechatpay_cashier``; the delivery itself (one attempt awaited, bounded retries in the background, every
attempt recorded on the order or refund) is ``deliver`` of ``delivery.NotificationCourier``, a base of the fake.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
from collections import Counter
from contextlib import suppress
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
from qingmall.sandbox.delivery import DeliveryAttempt, NotificationCourier

DEFAULT_MOUNT_PATH = "/sandbox/wechatpay"
H5_URL_TTL = timedelta(minutes=5)
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


@dataclass(frozen=True)
class CashierLink:
    """What an ``h5_url`` token opens: the order's cashier, until ``expires_at`` (opening, not paying)."""

    out_trade_no: str
    expires_at: datetime


@dataclass
class SandboxOrder:
    """One order held by the fake: ``trade_type`` JSAPI (mini-program) or MWEB (H5, no openid until paid)."""

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
    trade_type: str = "JSAPI"
    payer_client_ip: str | None = None
    time_expire: datetime | None = None
    deliveries: list[DeliveryAttempt] = field(default_factory=list)


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
    deliveries: list[DeliveryAttempt] = field(default_factory=list)


@dataclass(frozen=True)
class SandboxNotification:
    """A callback as WeChat Pay would POST it to ``notify_url``: raw body bytes and its headers."""

    headers: dict[str, str]
    body: bytes
    plaintext: dict[str, Any] = field(repr=False)
    event_type: str = ""
    notification_id: str = ""


def _rfc3339(moment: datetime) -> str:
    return clock.to_shanghai(moment).isoformat(timespec="seconds")


def _parse_time(value: Any) -> datetime | None:
    """``time_expire`` as sent (RFC 3339); ``None`` when absent or unreadable (then it is not enforced)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class WeChatPaySandbox(NotificationCourier):
    """The fake server's state: one merchant (its API key + APIv3 key), WeChat Pay's keys and the orders.

    ``mode`` picks the key that signs responses and notifications; both the public key (``public_key_id``)
    and the platform certificate (``certificate``) exist from the start so a client can be configured with
    either or both, and a test can switch ``mode`` mid-way as a real migration would.

    Settable by whoever mounts the fake:

    - ``public_base_url``: where browsers reach the fake (``https://host/sandbox/wechatpay``), the prefix of
      ``h5_url``; ``""`` gives relative links under ``/sandbox/wechatpay`` (fine when the shop and the fake
      share one server, as in ``make run``).
    - ``delivery_transport``, ``retry_delays``: how notifications are POSTed and retried (``NotificationCourier``).
    - ``refund_completion_delay``: seconds after which a new refund succeeds by itself and its REFUND.SUCCESS
      is delivered (``None``: refunds stay PROCESSING until ``complete_refund`` or the complete route).
    """

    courier_name = "wechatpay"

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
        super().__init__()
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
        self.cashier_links: dict[str, CashierLink] = {}
        self.merchant_name = "轻商城"
        self.public_base_url = ""
        self.refund_completion_delay: float | None = None
        self._completions_scheduled: set[str] = set()
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

    def _order_fields(self, payload: Any) -> dict[str, Any]:
        """The fields JSAPI and H5 orders share, validated in WeChat's order (merchant first)."""
        if not isinstance(payload, dict):
            raise SandboxError(400, "PARAM_ERROR", "请求体不是 JSON 对象")
        amount = payload.get("amount") if isinstance(payload.get("amount"), dict) else {}
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
        return {
            "appid": payload["appid"],
            "out_trade_no": out_trade_no,
            "description": description,
            "total": total,
            "currency": str(amount.get("currency") or "CNY"),
            "attach": payload.get("attach") if isinstance(payload.get("attach"), str) else None,
            "time_expire": _parse_time(payload.get("time_expire")),
        }

    @staticmethod
    def _check_notify_url(payload: dict[str, Any]) -> str:
        if not isinstance(payload.get("notify_url"), str) or not payload["notify_url"].startswith("http"):
            raise SandboxError(400, "PARAM_ERROR", "notify_url 格式错误")
        return payload["notify_url"]

    @staticmethod
    def _check_reusable(existing: SandboxOrder) -> None:
        if existing.trade_state in ("SUCCESS", "REFUND"):
            raise SandboxError(400, "ORDERPAID", "该订单已支付")
        if existing.trade_state == "CLOSED":
            raise SandboxError(400, "ORDER_CLOSED", "订单已关闭")

    def jsapi_prepay(self, payload: Any) -> dict[str, Any]:
        fields = self._order_fields(payload)
        payer = payload.get("payer") if isinstance(payload.get("payer"), dict) else {}
        if not isinstance(payer.get("openid"), str) or not payer["openid"]:
            raise SandboxError(400, "PARAM_ERROR", "缺少 payer.openid")
        notify_url = self._check_notify_url(payload)
        with self._lock:
            self.calls["jsapi"] += 1
            existing = self.orders.get(fields["out_trade_no"])
            if existing is not None:
                self._check_reusable(existing)
                same = (existing.trade_type, existing.total, existing.openid, existing.description, existing.appid) == (
                    "JSAPI",
                    fields["total"],
                    payer["openid"],
                    fields["description"],
                    fields["appid"],
                )
                if not same:
                    raise SandboxError(400, "INVALID_REQUEST", "201 商户订单号重复")
                return {"prepay_id": existing.prepay_id}
            order = SandboxOrder(
                **fields, openid=payer["openid"], notify_url=notify_url, prepay_id="wx" + secrets.token_hex(16)
            )
            self.orders[order.out_trade_no] = order
            return {"prepay_id": order.prepay_id}

    def h5_prepay(self, payload: Any) -> dict[str, Any]:
        """``POST /v3/pay/transactions/h5``: an MWEB order and a fresh 5-minute link to its cashier."""
        fields = self._order_fields(payload)
        scene = payload.get("scene_info") if isinstance(payload.get("scene_info"), dict) else {}
        h5_info = scene.get("h5_info") if isinstance(scene.get("h5_info"), dict) else {}
        client_ip = scene.get("payer_client_ip")
        if not isinstance(client_ip, str) or not 1 <= len(client_ip) <= 45:
            raise SandboxError(400, "PARAM_ERROR", "缺少 scene_info.payer_client_ip")
        if h5_info.get("type") not in ("Wap", "iOS", "Android"):
            raise SandboxError(400, "PARAM_ERROR", "scene_info.h5_info.type 须为 Wap、iOS 或 Android")
        notify_url = self._check_notify_url(payload)
        with self._lock:
            self.calls["h5"] += 1
            existing = self.orders.get(fields["out_trade_no"])
            if existing is not None:
                self._check_reusable(existing)
                same = (existing.trade_type, existing.total, existing.description, existing.appid) == (
                    "MWEB",
                    fields["total"],
                    fields["description"],
                    fields["appid"],
                )
                if not same:
                    raise SandboxError(400, "INVALID_REQUEST", "201 商户订单号重复")
                existing.payer_client_ip = client_ip
            else:
                existing = SandboxOrder(
                    **fields,
                    openid="",
                    notify_url=notify_url,
                    prepay_id="wx" + secrets.token_hex(16),
                    trade_type="MWEB",
                    payer_client_ip=client_ip,
                )
                self.orders[existing.out_trade_no] = existing
            token = secrets.token_urlsafe(24)
            self.cashier_links[token] = CashierLink(existing.out_trade_no, clock.now() + H5_URL_TTL)
            base = self.public_base_url.rstrip("/") or DEFAULT_MOUNT_PATH
            return {"h5_url": f"{base}/cashier/{token}"}

    def cashier_order(self, token: str, *, opening: bool) -> SandboxOrder:
        """The order behind an ``h5_url`` token: 404 unknown; 410 when ``opening`` a link past its 5 minutes."""
        with self._lock:
            link = self.cashier_links.get(token)
            if link is None or link.out_trade_no not in self.orders:
                raise SandboxError(404, "RESOURCE_NOT_EXISTS", "支付链接不存在")
            if opening and clock.now() > link.expires_at:
                raise SandboxError(410, "LINK_EXPIRED", "支付链接已过期，请返回商户页面重新发起支付")
            return self.orders[link.out_trade_no]

    def order_by_prepay_id(self, prepay_id: str) -> SandboxOrder:
        with self._lock:
            order = next((o for o in self.orders.values() if o.prepay_id == prepay_id), None)
            if order is None:
                raise SandboxError(404, "RESOURCE_NOT_EXISTS", "预支付交易单不存在")
            return order

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
            "trade_type": order.trade_type,
            "trade_state": order.trade_state,
            "trade_state_desc": {"NOTPAY": "订单未支付", "SUCCESS": "支付成功", "CLOSED": "订单已关闭"}.get(
                order.trade_state, order.trade_state
            ),
            "amount": {"total": order.total, "currency": order.currency},
        }
        if order.openid:  # an H5 payer is known only once paid
            data["payer"] = {"openid": order.openid}
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
            if not order.openid:
                order.openid = "o" + secrets.token_urlsafe(21)[:27]
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

    def query_refund(self, out_refund_no: str) -> dict[str, Any]:
        """``GET /v3/refund/domestic/refunds/{out_refund_no}``."""
        with self._lock:
            self.calls["refund_query"] += 1
            refund = self.refunds.get(out_refund_no)
            if refund is None:
                raise SandboxError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return self.refund_json(refund)

    def complete_refund(self, out_refund_no: str, status: str = "SUCCESS") -> SandboxRefund:
        """Move a PROCESSING refund to SUCCESS, CLOSED or ABNORMAL (a refund that does not succeed is restored).

        A refund that already finished is returned unchanged (completing twice must not restore twice).
        """
        with self._lock:
            refund = self.refunds[out_refund_no]
            order = self.orders[refund.out_trade_no]
            if refund.status != "PROCESSING":
                return refund
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
        return SandboxNotification(
            headers=headers, body=body, plaintext=plaintext, event_type=event_type, notification_id=envelope["id"]
        )

    # --- delivering notifications to notify_url ------------------------------------------------------------

    def resign(self, notification: SandboxNotification) -> SandboxNotification:
        """The same notification (same id and body) with fresh signature headers, as each WeChat retry has."""
        return SandboxNotification(
            headers=self.signed_headers(notification.body),
            body=notification.body,
            plaintext=notification.plaintext,
            event_type=notification.event_type,
            notification_id=notification.notification_id,
        )

    def redelivery(self, notification: SandboxNotification) -> SandboxNotification:
        return self.resign(notification)

    async def notify_payment(self, out_trade_no: str) -> DeliveryAttempt:
        """Deliver the TRANSACTION.SUCCESS of a paid order to its ``notify_url`` (retrying in the background)."""
        notification = self.build_notification(out_trade_no)
        order = self._order(out_trade_no)
        return await self.deliver(order.notify_url, notification, order.deliveries)

    async def notify_refund(self, out_refund_no: str) -> DeliveryAttempt | None:
        """Deliver a finished refund's REFUND.* notification; ``None`` when the refund gave no ``notify_url``."""
        refund = self.refunds[out_refund_no]
        if not refund.notify_url:
            return None
        return await self.deliver(
            refund.notify_url, self.build_notification(out_refund_no=out_refund_no), refund.deliveries
        )

    async def deliver_on_request(
        self,
        *,
        out_trade_no: str | None = None,
        out_refund_no: str | None = None,
        variant: NotificationVariant = "valid",
        times: int = 1,
        concurrently: bool = False,
    ) -> list[DeliveryAttempt]:
        """Send one notification of the order (or refund) as it stands, ``times`` times (the same id, as
        WeChat's duplicates are), at once or one after another; no retries. For people and tests watching
        how the app answers duplicates and bad signatures."""
        with self._lock:
            if out_refund_no is not None:
                target: SandboxOrder | SandboxRefund | None = self.refunds.get(out_refund_no)
                if target is None:
                    raise SandboxError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            else:
                target = self._order(out_trade_no or "")
            url = target.notify_url
        if not url:
            raise SandboxError(400, "PARAM_ERROR", "该退款没有 notify_url")
        notification = self.build_notification(out_trade_no, out_refund_no=out_refund_no, variant=variant)
        return await self.send_copies(
            url, notification, variant=variant, record=target.deliveries, times=times, concurrently=concurrently
        )

    async def finish_refund(self, out_refund_no: str, status: str = "SUCCESS") -> DeliveryAttempt | None:
        """Complete a PROCESSING refund and deliver its notification; 404 unknown, 409 already finished."""
        with self._lock:
            refund = self.refunds.get(out_refund_no)
            if refund is None:
                raise SandboxError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            if refund.status != "PROCESSING":
                raise SandboxError(409, "REFUND_NOT_PROCESSING", f"退款已是 {refund.status} 状态")
        self.complete_refund(out_refund_no, status)
        return await self.notify_refund(out_refund_no)

    def schedule_refund_completion(self, out_refund_no: str) -> None:
        """With ``refund_completion_delay`` set, complete a new refund that long from now (once per refund)."""
        delay = self.refund_completion_delay
        with self._lock:
            refund = self.refunds.get(out_refund_no)
            if delay is None or refund is None or refund.status != "PROCESSING":
                return
            if out_refund_no in self._completions_scheduled:
                return
            self._completions_scheduled.add(out_refund_no)
        self.spawn(self._complete_later(out_refund_no, delay))

    async def _complete_later(self, out_refund_no: str, delay: float) -> None:
        await asyncio.sleep(delay)
        with suppress(SandboxError):  # completed meanwhile by hand
            await self.finish_refund(out_refund_no)


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

    @app.post("/v3/pay/transactions/h5")
    async def h5(request: Request) -> Response:
        return await handle(request, sandbox.h5_prepay)

    def create_refund(payload: Any) -> dict[str, Any]:
        created = sandbox.create_refund(payload)
        sandbox.schedule_refund_completion(created["out_refund_no"])
        return created

    @app.post("/v3/refund/domestic/refunds")
    async def refund(request: Request) -> Response:
        return await handle(request, create_refund)

    @app.get("/v3/refund/domestic/refunds/{out_refund_no}")
    async def refund_query(request: Request, out_refund_no: str) -> Response:
        return await handle(request, lambda _: sandbox.query_refund(out_refund_no))

    from qingmall.sandbox.wechatpay_cashier import install_cashier

    install_cashier(app, sandbox)
    return app
