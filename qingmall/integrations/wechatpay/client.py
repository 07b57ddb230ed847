"""Async client of WeChat Pay API v3 (JSAPI for the mini-program, H5 for mobile browsers): protocol only.

The base URL (the real ``https://api.mch.weixin.qq.com`` or the local sandbox) and the httpx transport are
injectable, so tests run against ``httpx.ASGITransport(app=create_wechatpay_sandbox(state))``. The signed
path is the API path (``/v3/...``) relative to the base URL, so a sandbox mounted under a prefix still works.

Every 2xx response is verified (``SignatureVerifier``) before it is parsed; an unverifiable one raises
``WeChatPaySignatureInvalid`` / ``WeChatPayTimestampStale`` and must be treated as "unknown outcome".
Error replies raise ``WeChatPayGatewayError`` with WeChat Pay's ``code`` and ``message``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric import rsa

from qingmall.core import clock
from qingmall.integrations.http import PartnerHttp
from qingmall.integrations.wechatpay.crypto import (
    SignatureVerifier,
    aes_gcm_decrypt,
    build_authorization,
    new_nonce,
    pay_sign_message,
    rsa_sign,
)
from qingmall.integrations.wechatpay.errors import (
    WeChatPayDecryptError,
    WeChatPayGatewayError,
    WeChatPaySignatureInvalid,
    WeChatPayUnavailable,
    WeChatPayVerificationError,
)
from qingmall.integrations.wechatpay.results import (
    NotificationEnvelope,
    PaymentNotification,
    Refund,
    RefundNotification,
    Transaction,
    parse_time,
)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
PRODUCTION_BASE_URL = "https://api.mch.weixin.qq.com"


def _format_time(moment: datetime) -> str:
    """RFC 3339 in Asia/Shanghai, the form WeChat Pay expects (``2026-01-01T12:00:00+08:00``)."""
    return clock.to_shanghai(moment).isoformat(timespec="seconds")


class WeChatPayClient:
    """One merchant (``mchid`` + API certificate serial + private key + APIv3 key) talking to one base URL."""

    def __init__(
        self,
        *,
        mchid: str,
        merchant_serial_no: str,
        merchant_private_key: rsa.RSAPrivateKey,
        apiv3_key: str | bytes,
        verifier: SignatureVerifier,
        base_url: str = PRODUCTION_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        key_bytes = apiv3_key.encode() if isinstance(apiv3_key, str) else apiv3_key
        if len(key_bytes) != 32:
            raise ValueError("the APIv3 key is 32 bytes")
        self.mchid = mchid
        self.merchant_serial_no = merchant_serial_no
        self._private_key = merchant_private_key
        self._apiv3_key = key_bytes
        self.verifier = verifier
        self.base_url = base_url.rstrip("/")
        self._http = PartnerHttp(transport=transport, timeout=timeout)

    def __repr__(self) -> str:
        return f"WeChatPayClient(mchid={self.mchid!r}, base_url={self.base_url!r})"

    def _client(self) -> httpx.AsyncClient:
        return self._http.client()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """One signed call; returns the verified JSON body (``None`` for 204)."""
        signed_path = path + ("?" + urlencode(params) if params else "")
        body = orjson.dumps(json) if json is not None else b""
        headers = {
            "Authorization": build_authorization(
                mchid=self.mchid,
                serial_no=self.merchant_serial_no,
                private_key=self._private_key,
                method=method,
                path_with_query=signed_path,
                body=body.decode(),
            ),
            "Accept": "application/json",
        }
        if json is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = await self._client().request(
                method, self.base_url + signed_path, content=body or None, headers=headers
            )
        except httpx.HTTPError as exc:
            raise WeChatPayUnavailable(f"network error: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise self._gateway_error(response)
        self.verifier.verify_headers(response.headers, response.content)
        if response.status_code == 204 or not response.content:
            return None
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise WeChatPayUnavailable(f"HTTP {response.status_code}, not JSON") from exc
        if not isinstance(data, dict):
            raise WeChatPayUnavailable("reply is not a JSON object")
        return data

    @staticmethod
    def _gateway_error(response: httpx.Response) -> WeChatPayGatewayError:
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            return WeChatPayGatewayError(response.status_code, data["code"], str(data.get("message", "")))
        return WeChatPayGatewayError(response.status_code, "HTTP_ERROR", f"HTTP {response.status_code}")

    async def jsapi_prepay(
        self,
        *,
        appid: str,
        description: str,
        out_trade_no: str,
        total: int,
        openid: str,
        notify_url: str,
        time_expire: datetime | None = None,
        attach: str | None = None,
        currency: str = "CNY",
    ) -> str:
        """``POST /v3/pay/transactions/jsapi``: create (or re-fetch) the prepay order; returns ``prepay_id``."""
        return await self._create_transaction(
            "jsapi", "prepay_id", {"payer": {"openid": openid}}, appid=appid, description=description,
            out_trade_no=out_trade_no, total=total, notify_url=notify_url, time_expire=time_expire, attach=attach,
            currency=currency,
        )

    async def h5_prepay(
        self,
        *,
        appid: str,
        description: str,
        out_trade_no: str,
        total: int,
        notify_url: str,
        payer_client_ip: str,
        time_expire: datetime | None = None,
        attach: str | None = None,
        currency: str = "CNY",
        h5_type: str = "Wap",
    ) -> str:
        """``POST /v3/pay/transactions/h5``: create (or re-fetch) an H5 order; returns ``h5_url``.

        The link is valid for 5 minutes: ask again (same ``out_trade_no`` and parameters) for a fresh one.
        The browser is sent there with ``&redirect_url=<urlencoded>`` appended to come back after paying.
        """
        scene = {"scene_info": {"payer_client_ip": payer_client_ip, "h5_info": {"type": h5_type}}}
        return await self._create_transaction(
            "h5", "h5_url", scene, appid=appid, description=description, out_trade_no=out_trade_no, total=total,
            notify_url=notify_url, time_expire=time_expire, attach=attach, currency=currency,
        )

    async def _create_transaction(
        self, kind: str, answer_key: str, scene: dict[str, Any], *, appid: str, description: str, out_trade_no: str,
        total: int, notify_url: str, time_expire: datetime | None, attach: str | None, currency: str,
    ) -> str:
        """``POST /v3/pay/transactions/{kind}`` with the fields every kind shares plus ``scene`` (the payer or
        the H5 scene); returns the reply's ``answer_key`` (``prepay_id`` / ``h5_url``)."""
        payload: dict[str, Any] = {
            "appid": appid,
            "mchid": self.mchid,
            "description": description,
            "out_trade_no": out_trade_no,
            "notify_url": notify_url,
            "amount": {"total": total, "currency": currency},
            **scene,
        }
        if time_expire is not None:
            payload["time_expire"] = _format_time(time_expire)
        if attach is not None:
            payload["attach"] = attach
        data = await self._call("POST", f"/v3/pay/transactions/{kind}", json=payload)
        answer = (data or {}).get(answer_key)
        if not isinstance(answer, str) or not answer:
            raise WeChatPayUnavailable(f"{kind} reply has no {answer_key}")
        return answer

    def request_payment_params(self, appid: str, prepay_id: str) -> dict[str, str]:
        """The object the mini-program passes to ``wx.requestPayment`` (paySign by the merchant key)."""
        timestamp = str(int(clock.now().timestamp()))
        nonce = new_nonce()
        package = f"prepay_id={prepay_id}"
        return {
            "appId": appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": rsa_sign(self._private_key, pay_sign_message(appid, timestamp, nonce, package)),
        }

    async def query_by_out_trade_no(self, out_trade_no: str) -> Transaction:
        """``GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=``."""
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"
        data = await self._call("GET", path, params={"mchid": self.mchid})
        if not data:
            raise WeChatPayUnavailable("query reply is empty")
        return Transaction.from_json(data)

    async def close(self, out_trade_no: str) -> None:
        """``POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close``: 204 on success."""
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close"
        await self._call("POST", path, json={"mchid": self.mchid})

    async def refund(
        self,
        *,
        out_refund_no: str,
        refund: int,
        total: int,
        out_trade_no: str | None = None,
        transaction_id: str | None = None,
        reason: str | None = None,
        notify_url: str | None = None,
        currency: str = "CNY",
    ) -> Refund:
        """``POST /v3/refund/domestic/refunds``. Reuse ``out_refund_no`` when retrying: WeChat Pay dedupes on it."""
        if (out_trade_no is None) == (transaction_id is None):
            raise ValueError("give exactly one of out_trade_no and transaction_id")
        payload: dict[str, Any] = {
            "out_refund_no": out_refund_no,
            "amount": {"refund": refund, "total": total, "currency": currency},
        }
        if out_trade_no is not None:
            payload["out_trade_no"] = out_trade_no
        if transaction_id is not None:
            payload["transaction_id"] = transaction_id
        if reason is not None:
            payload["reason"] = reason
        if notify_url is not None:
            payload["notify_url"] = notify_url
        data = await self._call("POST", "/v3/refund/domestic/refunds", json=payload)
        if not data:
            raise WeChatPayUnavailable("refund reply is empty")
        return Refund.from_json(data)

    async def query_refund(self, out_refund_no: str) -> Refund:
        """``GET /v3/refund/domestic/refunds/{out_refund_no}``: the refund as WeChat Pay has it now."""
        path = f"/v3/refund/domestic/refunds/{quote(out_refund_no, safe='')}"
        data = await self._call("GET", path)
        if not data:
            raise WeChatPayUnavailable("refund query reply is empty")
        return Refund.from_json(data)

    def _open_notification(
        self, headers: Mapping[str, str], body: bytes | str
    ) -> tuple[NotificationEnvelope, dict[str, Any]]:
        """Verify the signature and freshness, then decrypt ``resource``; returns envelope + plaintext JSON."""
        self.verifier.verify_headers(headers, body)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise WeChatPaySignatureInvalid("notification body is not JSON") from None
        resource = data.get("resource") if isinstance(data, dict) else None
        if not isinstance(resource, dict) or resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise WeChatPayDecryptError("notification has no AEAD_AES_256_GCM resource")
        plaintext = aes_gcm_decrypt(
            self._apiv3_key,
            str(resource.get("nonce", "")),
            str(resource.get("ciphertext", "")),
            str(resource.get("associated_data") or ""),
        )
        try:
            decrypted = orjson.loads(plaintext)
        except orjson.JSONDecodeError:
            raise WeChatPayDecryptError("decrypted resource is not JSON") from None
        if not isinstance(decrypted, dict):
            raise WeChatPayDecryptError("decrypted resource is not a JSON object")
        envelope = NotificationEnvelope(
            id=str(data.get("id", "")),
            event_type=str(data.get("event_type", "")),
            resource_type=str(data.get("resource_type", "")),
            summary=str(data.get("summary", "")),
            create_time=parse_time(data.get("create_time")),
        )
        return envelope, decrypted

    def parse_payment_notification(self, headers: Mapping[str, str], body: bytes | str) -> PaymentNotification:
        """A verified TRANSACTION.* notification. ``headers``: any mapping of the request headers; ``body``: raw."""
        envelope, decrypted = self._open_notification(headers, body)
        if not envelope.event_type.startswith("TRANSACTION."):
            raise WeChatPayVerificationError(f"not a payment notification: {envelope.event_type!r}")
        return PaymentNotification(envelope=envelope, transaction=Transaction.from_json(decrypted))

    def parse_refund_notification(self, headers: Mapping[str, str], body: bytes | str) -> RefundNotification:
        """A verified REFUND.* notification. ``headers``: any mapping of the request headers; ``body``: raw."""
        envelope, decrypted = self._open_notification(headers, body)
        if not envelope.event_type.startswith("REFUND."):
            raise WeChatPayVerificationError(f"not a refund notification: {envelope.event_type!r}")
        return RefundNotification(envelope=envelope, refund=Refund.from_json(decrypted))
