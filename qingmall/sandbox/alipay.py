"""A fake of the Alipay open platform gateway (``gateway.do``), for development, demos and tests.

Real crypto both ways: the fake generates its own RSA key pair at start-up (give
``AlipaySandbox.alipay_public_key`` to the client as "Alipay's public key"), verifies the merchant's
RSA2 signature on every request with the merchant's public key (``40002 isv.invalid-signature``
otherwise) and signs every reply over the ``<method>_response`` JSON text, the way Alipay does.

Methods: ``alipay.trade.create`` (JSAPI_PAY; Huabei ``extend_params`` checked; the same ``out_trade_no``
with the same content gives the same ``trade_no``, with other content such as another installment count
``ACQ.CONTEXT_INCONSISTENT``), ``alipay.trade.query``, ``alipay.trade.close`` (unpaid trades only) and
``alipay.trade.refund`` (``out_request_no`` per partial refund, a repeated one answers ``fund_change: N``,
more than what is left ``ACQ.REFUND_AMT_NOT_EQUAL_TOTAL``, a full refund closes the trade).

Tests pay a trade with ``pay()`` and get the notification Alipay would POST with ``build_notification()``
(``tamper=`` / ``forge=True`` give the forged variants). The fake also really POSTs them, as Alipay does
(``delivery.NotificationCourier`` is its base): the signed form, url-encoded, to the trade's ``notify_url``;
only the exact answer ``success`` acknowledges it, anything else is retried in the background on a bounded
schedule with the same ``notify_id``, and every attempt is recorded on the trade. ``notify_payment``
delivers a paid trade's ``TRADE_SUCCESS``; ``deliver_on_request`` sends ``valid``, ``forged`` (signed with
another key) or ``tampered`` (``total_amount`` changed after signing) copies. The browser side (a cashier a
buyer pays in, the tester's delivery routes) is ``alipay_cashier``. State is in memory, guarded by a lock;
time comes from ``qingmall.core.clock``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from starlette.responses import Response

from qingmall.core import clock
from qingmall.core.money import fen_to_yuan, yuan_to_fen
from qingmall.integrations.alipay.errors import AlipaySignatureInvalid
from qingmall.integrations.alipay.signing import (
    canonical_string,
    load_public_key,
    public_key_base64,
    sign_text,
    verify_params,
    verify_text,
)
from qingmall.sandbox.delivery import DeliveryAttempt, NotificationCourier

METHODS = (
    "alipay.trade.create", "alipay.trade.query", "alipay.trade.close", "alipay.trade.refund",
    "alipay.system.oauth.token",
)
MAX_AMOUNT_FEN = 100_000_000_00
SELLER_ID = "2088000000000001"
SUCCESS_ANSWER = "success"  # the only answer after which Alipay stops sending a notification
NotificationVariant = Literal["valid", "forged", "tampered"]


def _shanghai(moment: datetime) -> str:
    return clock.to_shanghai(moment).strftime("%Y-%m-%d %H:%M:%S")


def _failure(code: str, msg: str, sub_code: str, sub_msg: str) -> dict[str, Any]:
    return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


def _invalid(sub_code: str, sub_msg: str) -> dict[str, Any]:
    return _failure("40002", "Invalid Arguments", sub_code, sub_msg)


def _business(sub_code: str, sub_msg: str) -> dict[str, Any]:
    return _failure("40004", "Business Failed", sub_code, sub_msg)


def _success(**fields: Any) -> dict[str, Any]:
    return {"code": "10000", "msg": "Success", **fields}


@dataclass
class SandboxTrade:
    """One trade as the fake holds it. Amounts in fen; ``refunds`` maps out_request_no to fen."""

    trade_no: str
    out_trade_no: str
    total_fen: int
    subject: str
    buyer_open_id: str
    extend_params: dict[str, str] | None
    notify_url: str | None
    created_at: datetime
    status: str = "WAIT_BUYER_PAY"
    paid_at: datetime | None = None
    buyer_user_id: str | None = None
    refunds: dict[str, int] = field(default_factory=dict)
    deliveries: list[DeliveryAttempt] = field(default_factory=list)

    @property
    def refunded_fen(self) -> int:
        return sum(self.refunds.values())


@dataclass(frozen=True)
class FormNotification:
    """A notification as Alipay POSTs it to ``notify_url``: the signed form fields, url-encoded (UTF-8)."""

    form: dict[str, str]

    @property
    def body(self) -> bytes:
        return urlencode(self.form).encode()

    @property
    def headers(self) -> dict[str, str]:
        return {}

    @property
    def event_type(self) -> str:
        return self.form.get("trade_status", "")

    @property
    def notification_id(self) -> str:
        return self.form.get("notify_id", "")


class AlipaySandbox(NotificationCourier):
    """The fake gateway's state: one merchant app (``app_id`` + its public key), the fake's keys, the trades.

    ``delivery_transport`` and ``retry_delays`` say how notifications are POSTed and retried
    (``NotificationCourier``); ``merchant_name`` is what the cashier shows as the payee.
    """

    courier_name = "alipay"
    notification_media_type = "application/x-www-form-urlencoded; charset=utf-8"

    def __init__(self, *, app_id: str, app_public_key: str | bytes | rsa.RSAPublicKey, seller_id: str = SELLER_ID):
        super().__init__()
        self.app_id = app_id
        self.seller_id = seller_id
        self.app_public_key = load_public_key(app_public_key)
        self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.alipay_public_key = self._private_key.public_key()
        self.compact_json = True
        self.calls: Counter[str] = Counter()
        self.requests: list[dict[str, str]] = []
        self.trades: dict[str, SandboxTrade] = {}
        self.used_auth_codes: set[str] = set()
        self.merchant_name = "轻商城"
        self._lock = threading.Lock()

    @property
    def alipay_public_key_base64(self) -> str:
        return public_key_base64(self.alipay_public_key)

    # --- the gateway -------------------------------------------------------------------------------

    def handle(self, params: dict[str, str]) -> str:
        """Answer one ``gateway.do`` call: the JSON text of the reply, signed."""
        method = params.get("method", "")
        key = method.replace(".", "_") + "_response" if method in METHODS else "error_response"
        with self._lock:
            self.calls[method] += 1
            self.requests.append(dict(params))
            data = self._check_common(params) or self._dispatch(method, params)
        return self.render(key, data)

    def render(self, key: str, data: dict[str, Any]) -> str:
        """``{"<key>":<data>,"sign":"..."}`` with the sign over the exact text of ``<data>``.

        ``compact_json = False`` renders ASCII-escaped JSON with spaces, so a client that re-serialises
        the object instead of verifying the text it received fails."""
        if self.compact_json:
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        else:
            text = json.dumps(data, ensure_ascii=True, separators=(", ", ": "))
        sign = sign_text(text, self._private_key)
        return "{" + json.dumps(key) + ":" + text + ',"sign":' + json.dumps(sign) + "}"

    def _check_common(self, params: dict[str, str]) -> dict[str, Any] | None:
        if params.get("method") not in METHODS:
            return _invalid("isv.invalid-method", "不存在的方法名")
        if params.get("app_id") != self.app_id:
            return _invalid("isv.invalid-app-id", "无效的AppID参数")
        if params.get("sign_type") != "RSA2":
            return _invalid("isv.invalid-signature-type", "无效的签名类型")
        try:
            verify_params(params, self.app_public_key, exclude=("sign",))
        except AlipaySignatureInvalid:
            return _invalid(
                "isv.invalid-signature",
                "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为："
                + canonical_string(params),
            )
        for name, expected in (("format", "JSON"), ("charset", "utf-8"), ("version", "1.0")):
            if params.get(name, expected).lower() != expected.lower():
                return _invalid(f"isv.invalid-{name}", f"{name} 参数无效")
        try:
            datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return _invalid("isv.invalid-timestamp", "非法的时间戳参数")
        return None

    def _dispatch(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        if method == "alipay.system.oauth.token":
            return self._oauth_token(params)
        try:
            biz = json.loads(params.get("biz_content") or "")
        except ValueError:
            biz = None
        if not isinstance(biz, dict):
            return _invalid("isv.invalid-biz-content", "biz_content 不是合法的 JSON 对象")
        biz = {k: v for k, v in biz.items() if v not in (None, "")}
        if method == "alipay.trade.create":
            return self._create(biz, params.get("notify_url"))
        trade = self._find(biz)
        if trade is None:
            return _business("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if method == "alipay.trade.query":
            return self._query(trade)
        if method == "alipay.trade.close":
            return self._close(trade)
        return self._refund(trade, biz)

    def _oauth_token(self, params: dict[str, str]) -> dict[str, Any]:
        """A code is good once (like Alipay's); the open id is derived from it, so ``demo-<name>-<n>`` codes of
        one name give that shopper the same open id every time. Success carries no ``code`` (as Alipay's)."""
        code = params.get("code", "")
        if params.get("grant_type") != "authorization_code" or not code:
            return _invalid("isv.invalid-parameter", "grant_type / code 参数无效")
        if code in self.used_auth_codes:
            return _failure("40002", "Invalid Arguments", "isv.code-invalid", "授权码code无效")
        self.used_auth_codes.add(code)
        person = code.rsplit("-", 1)[0] if code.startswith("demo-") else code
        digest = hashlib.sha256(f"{self.app_id}:{person}".encode()).hexdigest()
        return {
            "open_id": "074a" + digest[:42], "access_token": "authusrB" + secrets.token_hex(16),
            "expires_in": 1296000, "re_expires_in": 2592000, "auth_start": _shanghai(clock.now()),
        }

    def _find(self, biz: dict[str, Any]) -> SandboxTrade | None:
        trade = self.trades.get(str(biz.get("out_trade_no", "")))
        if trade is None and biz.get("trade_no"):
            trade = next((t for t in self.trades.values() if t.trade_no == biz["trade_no"]), None)
        if trade is not None and biz.get("trade_no") and trade.trade_no != biz["trade_no"]:
            return None
        return trade

    def _create(self, biz: dict[str, Any], notify_url: str | None) -> dict[str, Any]:
        out_trade_no = str(biz.get("out_trade_no", ""))
        if not out_trade_no or len(out_trade_no) > 64:
            return _business("ACQ.INVALID_PARAMETER", "参数无效: out_trade_no")
        try:
            total_fen = yuan_to_fen(str(biz.get("total_amount", "")))
        except ValueError:
            total_fen = 0
        if not isinstance(biz.get("total_amount"), str) or not 1 <= total_fen <= MAX_AMOUNT_FEN:
            return _business("ACQ.INVALID_PARAMETER", "参数无效: total_amount")
        if biz.get("product_code") != "JSAPI_PAY":
            return _business("ACQ.INVALID_PARAMETER", "参数无效: product_code")
        for name in ("subject", "buyer_open_id", "op_app_id"):
            if not isinstance(biz.get(name), str):
                return _business("ACQ.INVALID_PARAMETER", f"参数无效: {name}")
        extend = biz.get("extend_params")
        if extend is not None:
            if not isinstance(extend, dict):
                return _business("ACQ.INVALID_PARAMETER", "参数无效: extend_params")
            periods, percent = extend.get("hb_fq_num"), extend.get("hb_fq_seller_percent")
            if periods not in ("3", "6", "12") or percent not in ("0", "100"):
                return _business("ACQ.INVALID_PARAMETER", "花呗分期参数无效")
            extend = {"hb_fq_num": periods, "hb_fq_seller_percent": percent}
        existing = self.trades.get(out_trade_no)
        if existing is not None:
            if existing.status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                return _business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            if existing.status == "TRADE_CLOSED":
                return _business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            same = (existing.total_fen, existing.subject, existing.buyer_open_id, existing.extend_params) == (
                total_fen,
                biz["subject"],
                biz["buyer_open_id"],
                extend,
            )
            if not same:
                return _business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            return _success(out_trade_no=out_trade_no, trade_no=existing.trade_no)
        now = clock.now()
        trade_no = clock.to_shanghai(now).strftime("%Y%m%d") + "22001" + f"{secrets.randbelow(10**15):015d}"
        self.trades[out_trade_no] = SandboxTrade(
            trade_no=trade_no,
            out_trade_no=out_trade_no,
            total_fen=total_fen,
            subject=biz["subject"],
            buyer_open_id=biz["buyer_open_id"],
            extend_params=extend,
            notify_url=notify_url,
            created_at=now,
        )
        return _success(out_trade_no=out_trade_no, trade_no=trade_no)

    def _query(self, trade: SandboxTrade) -> dict[str, Any]:
        body = _success(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            buyer_logon_id="158****1234",
            trade_status=trade.status,
            total_amount=fen_to_yuan(trade.total_fen),
            buyer_pay_amount=fen_to_yuan(trade.total_fen if trade.paid_at else 0),
            buyer_open_id=trade.buyer_open_id,
        )
        if trade.paid_at is not None:
            body["send_pay_date"] = _shanghai(trade.paid_at)
            body["buyer_user_id"] = trade.buyer_user_id
        return body

    def _close(self, trade: SandboxTrade) -> dict[str, Any]:
        if trade.status != "WAIT_BUYER_PAY":
            return _business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        trade.status = "TRADE_CLOSED"
        return _success(trade_no=trade.trade_no, out_trade_no=trade.out_trade_no)

    def _refund(self, trade: SandboxTrade, biz: dict[str, Any]) -> dict[str, Any]:
        try:
            amount = yuan_to_fen(str(biz.get("refund_amount", "")))
        except ValueError:
            amount = 0
        if amount <= 0:
            return _business("ACQ.INVALID_PARAMETER", "参数无效: refund_amount")
        request_no = str(biz.get("out_request_no") or trade.out_trade_no)
        previous = trade.refunds.get(request_no)
        if previous is not None and previous != amount:
            return _business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额与原退款请求不一致")
        if previous is None:
            if trade.paid_at is None or trade.status not in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                return _business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            if amount > trade.total_fen - trade.refunded_fen:
                return _business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            trade.refunds[request_no] = amount
            if trade.refunded_fen == trade.total_fen:
                trade.status = "TRADE_CLOSED"
        return _success(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            buyer_logon_id="158****1234",
            fund_change="N" if previous is not None else "Y",
            refund_fee=fen_to_yuan(trade.refunded_fen),
            gmt_refund_pay=_shanghai(clock.now()),
            buyer_open_id=trade.buyer_open_id,
        )

    # --- test controls -----------------------------------------------------------------------------

    def pay(self, out_trade_no: str, *, buyer_user_id: str = "2088102177846880") -> SandboxTrade:
        """The buyer pays an open trade (what ``my.tradePay`` would do)."""
        with self._lock:
            trade = self.trades[out_trade_no]
            if trade.status != "WAIT_BUYER_PAY":
                raise ValueError(f"trade {out_trade_no} is {trade.status}")
            trade.status = "TRADE_SUCCESS"
            trade.paid_at = clock.now()
            trade.buyer_user_id = buyer_user_id
            return trade

    def build_notification(
        self,
        out_trade_no: str,
        *,
        tamper: dict[str, str] | None = None,
        forge: bool = False,
        notify_id: str | None = None,
    ) -> dict[str, str]:
        """The form fields Alipay would POST to ``notify_url`` for the trade's current state, signed.

        Forged variants for tests: ``tamper`` changes fields after signing (a changed ``total_amount``
        must fail verification); ``forge=True`` signs with a key that is not Alipay's. The same
        ``notify_id`` may be passed again to model Alipay's retries of one notification.
        """
        with self._lock:
            trade = self.trades[out_trade_no]
            fields = {
                "notify_time": _shanghai(clock.now()),
                "notify_type": "trade_status_sync",
                "notify_id": notify_id or secrets.token_hex(16),
                "app_id": self.app_id,
                "charset": "utf-8",
                "version": "1.0",
                "sign_type": "RSA2",
                "trade_no": trade.trade_no,
                "out_trade_no": trade.out_trade_no,
                "trade_status": trade.status,
                "total_amount": fen_to_yuan(trade.total_fen),
                "seller_id": self.seller_id,
                "buyer_open_id": trade.buyer_open_id,
                "subject": trade.subject,
                "gmt_create": _shanghai(trade.created_at),
            }
            if trade.paid_at is not None:
                paid = fen_to_yuan(trade.total_fen)
                fields.update(
                    gmt_payment=_shanghai(trade.paid_at),
                    receipt_amount=paid,
                    buyer_pay_amount=paid,
                    invoice_amount=paid,
                    buyer_id=trade.buyer_user_id or "",
                )
            if trade.refunds:
                fields.update(
                    refund_fee=fen_to_yuan(trade.refunded_fen),
                    out_biz_no=list(trade.refunds)[-1],
                    gmt_refund=_shanghai(clock.now()),
                )
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if forge else self._private_key
        fields["sign"] = sign_text(canonical_string(fields, exclude=("sign", "sign_type")), key)
        fields.update(tamper or {})
        return fields

    def trade_by_trade_no(self, trade_no: str) -> SandboxTrade | None:
        with self._lock:
            return next((t for t in self.trades.values() if t.trade_no == trade_no), None)

    # --- delivering notifications to notify_url ------------------------------------------------------------

    def acknowledges(self, response: httpx.Response) -> bool:
        """Alipay's rule: the merchant printed exactly ``success`` (any other text, status or none: retry)."""
        return response.status_code == 200 and response.text == SUCCESS_ANSWER

    def notification(self, out_trade_no: str, variant: NotificationVariant = "valid") -> FormNotification:
        """The trade's notification as it stands, in one of the variants a tester may ask for."""
        tamper = None
        if variant == "tampered":  # the classic attack: claim a cent was the whole price
            tamper = {"total_amount": fen_to_yuan(2 if self.trades[out_trade_no].total_fen == 1 else 1)}
        form = self.build_notification(out_trade_no, tamper=tamper, forge=variant == "forged")
        return FormNotification(form)

    async def notify_payment(self, out_trade_no: str) -> DeliveryAttempt | None:
        """Deliver a paid trade's notification to its ``notify_url`` (retried in the background, the same
        ``notify_id`` each time, until ``success``); ``None`` when the trade was created without one."""
        trade = self.trades[out_trade_no]
        if not trade.notify_url:
            return None
        return await self.deliver(trade.notify_url, self.notification(out_trade_no), trade.deliveries)

    async def deliver_on_request(
        self,
        out_trade_no: str,
        *,
        variant: NotificationVariant = "valid",
        times: int = 1,
        concurrently: bool = False,
    ) -> list[DeliveryAttempt]:
        """Send one notification of the trade as it stands ``times`` times (one ``notify_id``, as Alipay's
        duplicates are), at once or one after another; no retries. The trade must have a ``notify_url``."""
        trade = self.trades[out_trade_no]
        if not trade.notify_url:
            raise ValueError(f"trade {out_trade_no} has no notify_url")
        notification = self.notification(out_trade_no, variant)
        return await self.send_copies(
            trade.notify_url,
            notification,
            variant=variant,
            record=trade.deliveries,
            times=times,
            concurrently=concurrently,
        )

    def verify_reply_signature(self, text: str, signature: str) -> None:
        """Check a text against the fake's own key (lets tests prove a reply was signed by this fake)."""
        verify_text(text, signature, self.alipay_public_key)


def create_alipay_sandbox(state: AlipaySandbox) -> FastAPI:
    """The fake Alipay gateway as an ASGI app serving ``/gateway.do`` at its root, plus the cashier and the
    tester's delivery routes (``alipay_cashier``).

    ``app.state.alipay`` is the ``AlipaySandbox`` behind it, for tests to inspect or steer.
    """
    app = FastAPI(title="Alipay sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.alipay = state

    @app.api_route("/gateway.do", methods=["GET", "POST"])
    async def gateway(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", errors="replace")
            params.update(parse_qsl(body, keep_blank_values=True))
        return Response(state.handle(params), media_type="text/html;charset=utf-8")

    from qingmall.sandbox.alipay_cashier import install_cashier

    install_cashier(app, state)
    return app
