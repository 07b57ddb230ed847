"""Asynchronous notifications (``notify_url`` form POSTs) from Alipay: verify, then parse.

Verification follows Alipay: drop ``sign`` and ``sign_type``, sort the remaining non-empty fields, join
``k=v`` with ``&`` and check the RSA2 signature with Alipay's public key. Only then are fields read.
Alipay resends a notification it did not get ``success`` for (8 times over about 25 hours), so the same
notification arrives more than once: applying it exactly once is the payments service's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from qingmall.core.money import yuan_to_fen
from qingmall.integrations.alipay.errors import AlipayNotificationInvalid
from qingmall.integrations.alipay.signing import load_public_key, verify_params

TRADE_STATUSES = frozenset({"WAIT_BUYER_PAY", "TRADE_CLOSED", "TRADE_SUCCESS", "TRADE_FINISHED"})
SUCCESS_REPLY = "success"


@dataclass(frozen=True)
class AlipayNotification:
    """A verified notification. Amounts are fen; ``refund_fee`` is set on refund notifications only.
    ``fields`` keeps every field as sent (without ``sign``) for logging."""

    notify_id: str
    notify_type: str
    notify_time: str
    app_id: str
    out_trade_no: str
    trade_no: str
    trade_status: str
    total_amount: int
    seller_id: str | None
    buyer_open_id: str | None
    buyer_id: str | None
    gmt_payment: str | None
    refund_fee: int | None
    fields: dict[str, str] = field(repr=False)


def parse_notification(
    form: Mapping[str, str], alipay_public_key: str | bytes | rsa.RSAPublicKey, *, app_id: str | None = None
) -> AlipayNotification:
    """Verify ``form`` with Alipay's public key and parse it.

    Raises ``AlipaySignatureInvalid`` when the signature is missing or wrong (forged or tampered), and
    ``AlipayNotificationInvalid`` when a signed notification lacks a required field, has an unknown
    ``trade_status`` or an amount that is not yuan, or is for another ``app_id``.
    """
    fields = {str(k): str(v) for k, v in form.items()}
    sign_type = fields.get("sign_type", "RSA2")
    if sign_type != "RSA2":
        raise AlipayNotificationInvalid(f"unsupported sign_type {sign_type!r}")
    verify_params(fields, load_public_key(alipay_public_key))
    for required in ("notify_id", "app_id", "out_trade_no", "trade_no", "trade_status", "total_amount"):
        if not fields.get(required):
            raise AlipayNotificationInvalid(f"notification has no {required}")
    if app_id is not None and fields["app_id"] != app_id:
        raise AlipayNotificationInvalid("notification is for another app_id")
    if fields["trade_status"] not in TRADE_STATUSES:
        raise AlipayNotificationInvalid(f"unknown trade_status {fields['trade_status']!r}")
    try:
        total_amount = yuan_to_fen(fields["total_amount"])
        refund_fee = yuan_to_fen(fields["refund_fee"]) if fields.get("refund_fee") else None
    except ValueError as exc:
        raise AlipayNotificationInvalid("amount is not a yuan amount") from exc
    fields.pop("sign", None)
    return AlipayNotification(
        notify_id=fields["notify_id"],
        notify_type=fields.get("notify_type", ""),
        notify_time=fields.get("notify_time", ""),
        app_id=fields["app_id"],
        out_trade_no=fields["out_trade_no"],
        trade_no=fields["trade_no"],
        trade_status=fields["trade_status"],
        total_amount=total_amount,
        seller_id=fields.get("seller_id") or None,
        buyer_open_id=fields.get("buyer_open_id") or None,
        buyer_id=fields.get("buyer_id") or None,
        gmt_payment=fields.get("gmt_payment") or None,
        refund_fee=refund_fee,
        fields=fields,
    )
