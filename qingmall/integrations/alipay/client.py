"""Async client of the Alipay open platform gateway for mini-program payments (protocol only, no business rules).

Every call is a form POST to ``gateway.do`` carrying the common parameters (app_id, method, format JSON,
charset utf-8, sign_type RSA2, timestamp in Asia/Shanghai, version 1.0, notify_url, biz_content) signed
with the merchant's private key (see ``signing``). Replies are verified with Alipay's public key over the
``<method>_response`` text exactly as received before anything in them is trusted.

Amounts are integer fen in and out of this module; the yuan strings Alipay wants exist only inside it
(``fen_to_yuan`` / ``yuan_to_fen``). The gateway URL and the httpx transport are injectable, so tests run
the client against ``httpx.ASGITransport(app=create_alipay_sandbox(...))`` without a socket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from qingmall.core import clock
from qingmall.core.money import fen_to_yuan, yuan_to_fen
from qingmall.integrations.alipay.errors import (
    AlipayGatewayError,
    AlipayRequestInvalid,
    AlipaySignatureInvalid,
    AlipayUnavailable,
)
from qingmall.integrations.alipay.notifications import AlipayNotification, parse_notification
from qingmall.integrations.alipay.signing import (
    extract_response_text,
    load_private_key,
    load_public_key,
    sign_params,
    verify_text,
)
from qingmall.integrations.http import PartnerHttp

PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
SUCCESS_CODE = "10000"
MAX_OUT_TRADE_NO = 64
MAX_OUT_REQUEST_NO = 64
MAX_SUBJECT = 256
HUABEI_PERIODS = frozenset({3, 6, 12})
HUABEI_SELLER_PERCENTS = frozenset({0, 100})


@dataclass(frozen=True)
class HuabeiInstallments:
    """Huabei (花呗) installments: ``periods`` 3, 6 or 12; ``seller_percent`` 100 = the merchant pays the
    interest (免息), 0 = the buyer does. Alipay binds the choice to the ``out_trade_no``."""

    periods: int
    seller_percent: int = 0

    def __post_init__(self) -> None:
        if self.periods not in HUABEI_PERIODS:
            raise AlipayRequestInvalid(f"hb_fq_num must be one of 3, 6, 12, not {self.periods!r}")
        if self.seller_percent not in HUABEI_SELLER_PERCENTS:
            raise AlipayRequestInvalid(f"hb_fq_seller_percent must be 0 or 100, not {self.seller_percent!r}")

    def extend_params(self) -> dict[str, str]:
        return {"hb_fq_num": str(self.periods), "hb_fq_seller_percent": str(self.seller_percent)}


@dataclass(frozen=True)
class TradeCreated:
    """``alipay.trade.create``: ``trade_no`` goes to the mini-program's ``my.tradePay({tradeNO})``."""

    trade_no: str
    out_trade_no: str


@dataclass(frozen=True)
class TradeQueried:
    """``alipay.trade.query``. ``trade_status``: WAIT_BUYER_PAY | TRADE_CLOSED | TRADE_SUCCESS | TRADE_FINISHED."""

    trade_no: str
    out_trade_no: str
    trade_status: str
    total_amount: int
    buyer_open_id: str | None
    buyer_user_id: str | None
    send_pay_date: str | None


@dataclass(frozen=True)
class TradeClosed:
    """``alipay.trade.close`` succeeded: the unpaid trade can no longer be paid."""

    trade_no: str
    out_trade_no: str


@dataclass(frozen=True)
class RefundResult:
    """``alipay.trade.refund``. ``refund_fee`` is the total refunded on the trade so far (fen); ``fund_change``
    False on a repeated ``out_request_no`` (the refund was already made and is not made twice)."""

    trade_no: str
    out_trade_no: str
    out_request_no: str
    refund_amount: int
    refund_fee: int
    fund_change: bool


def _require_text(name: str, value: str, max_length: int) -> None:
    if not value or len(value) > max_length:
        raise AlipayRequestInvalid(f"{name} must be 1..{max_length} characters")


def _require_fen(name: str, fen: int) -> None:
    if isinstance(fen, bool) or not isinstance(fen, int) or fen <= 0:
        raise AlipayRequestInvalid(f"{name} must be a positive integer of fen")


def _trade_key(out_trade_no: str | None, trade_no: str | None) -> dict[str, str]:
    if not out_trade_no and not trade_no:
        raise AlipayRequestInvalid("out_trade_no or trade_no is required")
    key: dict[str, str] = {}
    if out_trade_no:
        _require_text("out_trade_no", out_trade_no, MAX_OUT_TRADE_NO)
        key["out_trade_no"] = out_trade_no
    if trade_no:
        key["trade_no"] = trade_no
    return key


class AlipayClient:
    """One Alipay app (``app_id`` + merchant private key + Alipay public key) talking to one gateway."""

    def __init__(
        self,
        *,
        app_id: str,
        private_key: str | bytes | rsa.RSAPrivateKey,
        alipay_public_key: str | bytes | rsa.RSAPublicKey,
        gateway_url: str = PRODUCTION_GATEWAY,
        notify_url: str | None = None,
        op_app_id: str | None = None,
        seller_id: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        self.app_id = app_id
        self.gateway_url = gateway_url
        self.notify_url = notify_url
        self.op_app_id = op_app_id or app_id
        self.seller_id = seller_id  # the merchant's Alipay user id (2088...): notifications must name it
        self._private_key = load_private_key(private_key)
        self._alipay_public_key = load_public_key(alipay_public_key)
        self._http = PartnerHttp(transport=transport, timeout=timeout)

    def __repr__(self) -> str:
        return f"AlipayClient(app_id={self.app_id!r}, gateway_url={self.gateway_url!r})"

    def _client(self) -> httpx.AsyncClient:
        return self._http.client()

    async def aclose(self) -> None:
        await self._http.aclose()

    def build_request(
        self, method: str, biz_content: dict[str, Any] | None, *, notify_url: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """The signed form parameters of one gateway call (exposed for tests and for debugging)."""
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": clock.to_shanghai(clock.now()).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
        }
        if biz_content is not None:
            params["biz_content"] = json.dumps(biz_content, ensure_ascii=False, separators=(",", ":"))
        params.update(extra or {})
        if notify_url:
            params["notify_url"] = notify_url
        params["sign"] = sign_params(params, self._private_key)
        return params

    async def execute(
        self, method: str, biz_content: dict[str, Any] | None, *, notify_url: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Call ``method`` and return its verified ``<method>_response`` object (code 10000 only).

        A reply whose ``sign`` does not verify raises ``AlipaySignatureInvalid``; a successful reply
        without a ``sign`` too. An unsigned error reply (Alipay does not sign some gateway-level errors)
        still raises ``AlipayGatewayError``: it can only make the caller fail, never confirm anything.
        """
        params = self.build_request(method, biz_content, notify_url=notify_url, extra=extra)
        try:
            response = await self._client().post(self.gateway_url, params={"charset": "utf-8"}, data=params)
        except httpx.HTTPError as exc:
            raise AlipayUnavailable(f"network error: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise AlipayUnavailable(f"HTTP {response.status_code}")
        text = response.content.decode("utf-8", errors="replace")
        return self._verified_response(method, text)

    def _verified_response(self, method: str, text: str) -> dict[str, Any]:
        try:
            body = json.loads(text)
            key = method.replace(".", "_") + "_response"
            raw = extract_response_text(text, key)
            if raw is None:
                key = "error_response"
                raw = extract_response_text(text, key)
        except ValueError as exc:
            raise AlipayUnavailable("reply is not JSON") from exc
        if not isinstance(body, dict) or raw is None or not isinstance(body.get(key), dict):
            raise AlipayUnavailable("reply has no response object")
        data: dict[str, Any] = body[key]
        signature = body.get("sign")
        code = str(data.get("code", ""))
        if isinstance(signature, str) and signature:
            verify_text(raw, signature, self._alipay_public_key)
        elif code == SUCCESS_CODE:
            raise AlipaySignatureInvalid("successful reply is not signed")
        signed_without_code = key != "error_response" and "code" not in data and bool(signature)
        if code != SUCCESS_CODE and not signed_without_code:  # alipay.system.oauth.token answers without code
            raise AlipayGatewayError(
                code, str(data.get("msg", "")), str(data.get("sub_code", "")), str(data.get("sub_msg", ""))
            )
        return data

    def trade_create_biz(
        self,
        *,
        out_trade_no: str,
        total_amount: int,
        subject: str,
        buyer_open_id: str,
        installments: HuabeiInstallments | None = None,
        timeout_express: str | None = None,
    ) -> dict[str, Any]:
        """The ``biz_content`` of ``alipay.trade.create``, validated; ``total_amount`` fen become a yuan string."""
        _require_text("out_trade_no", out_trade_no, MAX_OUT_TRADE_NO)
        _require_text("subject", subject, MAX_SUBJECT)
        _require_text("buyer_open_id", buyer_open_id, 128)
        _require_fen("total_amount", total_amount)
        biz: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "total_amount": fen_to_yuan(total_amount),
            "subject": subject,
            "product_code": "JSAPI_PAY",
            "op_app_id": self.op_app_id,
            "buyer_open_id": buyer_open_id,
        }
        if installments is not None:
            biz["extend_params"] = installments.extend_params()
        if timeout_express:
            biz["timeout_express"] = timeout_express
        return biz

    async def create_trade(
        self,
        *,
        out_trade_no: str,
        total_amount: int,
        subject: str,
        buyer_open_id: str,
        installments: HuabeiInstallments | None = None,
        notify_url: str | None = None,
        timeout_express: str | None = None,
    ) -> TradeCreated:
        """``alipay.trade.create`` (JSAPI_PAY, mini-program) for ``total_amount`` fen -> ``trade_no``.

        Changing ``installments`` for an ``out_trade_no`` that Alipay already knows is refused by Alipay
        (``ACQ.CONTEXT_INCONSISTENT``): the caller must use a new ``out_trade_no``.
        """
        biz = self.trade_create_biz(
            out_trade_no=out_trade_no,
            total_amount=total_amount,
            subject=subject,
            buyer_open_id=buyer_open_id,
            installments=installments,
            timeout_express=timeout_express,
        )
        data = await self.execute("alipay.trade.create", biz, notify_url=notify_url or self.notify_url)
        trade_no = data.get("trade_no")
        if not isinstance(trade_no, str) or not trade_no:
            raise AlipayUnavailable("trade.create reply has no trade_no")
        return TradeCreated(trade_no=trade_no, out_trade_no=str(data.get("out_trade_no", out_trade_no)))

    async def query_trade(self, *, out_trade_no: str | None = None, trade_no: str | None = None) -> TradeQueried:
        """``alipay.trade.query``; an unknown trade raises ``AlipayGatewayError`` sub_code ``ACQ.TRADE_NOT_EXIST``."""
        data = await self.execute("alipay.trade.query", _trade_key(out_trade_no, trade_no))
        return TradeQueried(
            trade_no=str(data.get("trade_no", "")),
            out_trade_no=str(data.get("out_trade_no", "")),
            trade_status=str(data.get("trade_status", "")),
            total_amount=_fen(data, "total_amount"),
            buyer_open_id=_optional(data, "buyer_open_id"),
            buyer_user_id=_optional(data, "buyer_user_id"),
            send_pay_date=_optional(data, "send_pay_date"),
        )

    async def close_trade(self, *, out_trade_no: str | None = None, trade_no: str | None = None) -> TradeClosed:
        """``alipay.trade.close``: only an unpaid (WAIT_BUYER_PAY) trade can be closed."""
        data = await self.execute("alipay.trade.close", _trade_key(out_trade_no, trade_no))
        return TradeClosed(trade_no=str(data.get("trade_no", "")), out_trade_no=str(data.get("out_trade_no", "")))

    async def refund_trade(
        self,
        *,
        refund_amount: int,
        out_request_no: str,
        out_trade_no: str | None = None,
        trade_no: str | None = None,
        refund_reason: str | None = None,
    ) -> RefundResult:
        """``alipay.trade.refund`` of ``refund_amount`` fen. ``out_request_no`` identifies one (partial) refund:
        retry with the same one after a timeout, use a new one for the next partial refund."""
        _require_fen("refund_amount", refund_amount)
        _require_text("out_request_no", out_request_no, MAX_OUT_REQUEST_NO)
        biz: dict[str, Any] = {
            **_trade_key(out_trade_no, trade_no),
            "refund_amount": fen_to_yuan(refund_amount),
            "out_request_no": out_request_no,
        }
        if refund_reason:
            biz["refund_reason"] = refund_reason[:256]
        data = await self.execute("alipay.trade.refund", biz)
        return RefundResult(
            trade_no=str(data.get("trade_no", "")),
            out_trade_no=str(data.get("out_trade_no", "")),
            out_request_no=out_request_no,
            refund_amount=refund_amount,
            refund_fee=_fen(data, "refund_fee"),
            fund_change=data.get("fund_change") == "Y",
        )

    async def exchange_auth_code(self, code: str) -> str:
        """``alipay.system.oauth.token`` (grant_type ``authorization_code``): the payer's ``open_id`` for this app
        from the one-time code ``my.getAuthCode({scopes: 'auth_base'})`` gave the mini-program. Only the server
        can exchange it (the call is signed with the app's private key)."""
        _require_text("code", code, 128)
        data = await self.execute(
            "alipay.system.oauth.token", None, extra={"grant_type": "authorization_code", "code": code}
        )
        open_id = data.get("open_id")
        if not isinstance(open_id, str) or not open_id:
            raise AlipayUnavailable("oauth.token reply has no open_id")
        return open_id

    def verify_notification(self, form: dict[str, str]) -> AlipayNotification:
        """Verify an asynchronous notification (the decoded form fields) and parse it; see ``parse_notification``.

        The caller checks out_trade_no / total_amount / seller_id against its own records, applies the
        result once, and then answers the POST with the plain text ``success``.
        """
        return parse_notification(form, self._alipay_public_key, app_id=self.app_id)


def _optional(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return str(value) if value not in (None, "") else None


def _fen(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if value in (None, ""):
        return 0
    try:
        return yuan_to_fen(str(value))
    except ValueError as exc:
        raise AlipayUnavailable(f"{key} is not a yuan amount: {value!r}") from exc
