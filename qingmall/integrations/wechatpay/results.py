"""Typed results of WeChat Pay API v3 calls and notifications (amounts in fen, times tz-aware)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time from WeChat Pay, or None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Transaction:
    """A payment order as WeChat Pay reports it (query reply or decrypted TRANSACTION.* notification).

    ``trade_state`` is NOTPAY | SUCCESS | CLOSED | REFUND | USERPAYING | PAYERROR | REVOKED.
    ``transaction_id`` and ``success_time`` exist only once paid.
    """

    appid: str
    mchid: str
    out_trade_no: str
    trade_state: str
    trade_state_desc: str
    transaction_id: str | None
    total: int
    payer_total: int | None
    currency: str
    openid: str | None
    success_time: datetime | None
    attach: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transaction:
        amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
        payer = data.get("payer") if isinstance(data.get("payer"), dict) else {}
        payer_total = amount.get("payer_total")
        return cls(
            appid=str(data.get("appid", "")),
            mchid=str(data.get("mchid", "")),
            out_trade_no=str(data.get("out_trade_no", "")),
            trade_state=str(data.get("trade_state", "")),
            trade_state_desc=str(data.get("trade_state_desc", "")),
            transaction_id=_str(data.get("transaction_id")),
            total=_int(amount.get("total")),
            payer_total=payer_total if isinstance(payer_total, int) else None,
            currency=str(amount.get("currency") or "CNY"),
            openid=_str(payer.get("openid")),
            success_time=parse_time(data.get("success_time")),
            attach=_str(data.get("attach")),
        )


@dataclass(frozen=True)
class Refund:
    """A refund as WeChat Pay reports it (create reply or decrypted REFUND.* notification).

    ``status`` is SUCCESS | CLOSED | PROCESSING | ABNORMAL (``refund_status`` in notifications).
    """

    refund_id: str
    out_refund_no: str
    out_trade_no: str
    transaction_id: str
    status: str
    refund: int
    total: int
    payer_refund: int | None
    currency: str
    user_received_account: str | None
    create_time: datetime | None
    success_time: datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Refund:
        amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
        payer_refund = amount.get("payer_refund")
        return cls(
            refund_id=str(data.get("refund_id", "")),
            out_refund_no=str(data.get("out_refund_no", "")),
            out_trade_no=str(data.get("out_trade_no", "")),
            transaction_id=str(data.get("transaction_id", "")),
            status=str(data.get("status") or data.get("refund_status") or ""),
            refund=_int(amount.get("refund")),
            total=_int(amount.get("total")),
            payer_refund=payer_refund if isinstance(payer_refund, int) else None,
            currency=str(amount.get("currency") or "CNY"),
            user_received_account=_str(data.get("user_received_account")),
            create_time=parse_time(data.get("create_time")),
            success_time=parse_time(data.get("success_time")),
        )


@dataclass(frozen=True)
class NotificationEnvelope:
    """The outer, signed part of a notification: ``id`` is WeChat's notification id (same on every retry)."""

    id: str
    event_type: str
    resource_type: str
    summary: str
    create_time: datetime | None


@dataclass(frozen=True)
class PaymentNotification:
    """A verified, decrypted TRANSACTION.* notification. The caller still checks mchid/appid/amount."""

    envelope: NotificationEnvelope
    transaction: Transaction


@dataclass(frozen=True)
class RefundNotification:
    """A verified, decrypted REFUND.SUCCESS | REFUND.ABNORMAL | REFUND.CLOSED notification."""

    envelope: NotificationEnvelope
    refund: Refund
