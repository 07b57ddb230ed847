"""Alipay open platform client for mini-program payments with Huabei installments (protocol only)."""

from qingmall.integrations.alipay.client import (
    PRODUCTION_GATEWAY,
    AlipayClient,
    HuabeiInstallments,
    RefundResult,
    TradeClosed,
    TradeCreated,
    TradeQueried,
)
from qingmall.integrations.alipay.errors import (
    AlipayError,
    AlipayGatewayError,
    AlipayNotificationInvalid,
    AlipayRequestInvalid,
    AlipaySignatureInvalid,
    AlipayUnavailable,
)
from qingmall.integrations.alipay.notifications import SUCCESS_REPLY, AlipayNotification, parse_notification

__all__ = [
    "PRODUCTION_GATEWAY",
    "SUCCESS_REPLY",
    "AlipayClient",
    "AlipayError",
    "AlipayGatewayError",
    "AlipayNotification",
    "AlipayNotificationInvalid",
    "AlipayRequestInvalid",
    "AlipaySignatureInvalid",
    "AlipayUnavailable",
    "HuabeiInstallments",
    "RefundResult",
    "TradeClosed",
    "TradeCreated",
    "TradeQueried",
    "parse_notification",
]
