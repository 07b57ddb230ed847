"""Alipay failures as typed exceptions. Callers (the payments service) map them to their own domain errors.

``AlipayGatewayError`` keeps Alipay's ``code`` / ``msg`` / ``sub_code`` / ``sub_msg`` verbatim: ``sub_code``
(``ACQ.TRADE_NOT_EXIST``, ``ACQ.CONTEXT_INCONSISTENT``, ...) is what a caller branches on.
"""

from __future__ import annotations

# Gateway codes: 10000 success, 20000 service unavailable, 20001 authorisation, 40001 missing parameter,
# 40002 invalid parameter (including isv.invalid-signature), 40004 business failure, 40006 permission.
RETRYABLE_CODES = frozenset({"20000"})
RETRYABLE_SUB_CODES = frozenset({"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR", "isp.unknow-error", "isp.unknown-error"})


class AlipayError(Exception):
    """An Alipay call or message failed. ``retryable`` tells the caller whether the same call may succeed later."""

    retryable = False


class AlipayRequestInvalid(AlipayError, ValueError):
    """The caller asked for something the protocol forbids (bad installments, too long ``out_trade_no``...).

    Raised before anything is sent."""


class AlipaySignatureInvalid(AlipayError):
    """A response or notification is not signed by Alipay's key (forged, tampered or mis-configured)."""


class AlipayNotificationInvalid(AlipayError):
    """A notification is correctly signed but malformed, or addressed to another app."""


class AlipayUnavailable(AlipayError):
    """Network error, timeout, HTTP 5xx or a reply that is not the expected JSON: try again later."""

    retryable = True


class AlipayGatewayError(AlipayError):
    """Alipay answered with a ``code`` other than ``10000``."""

    def __init__(self, code: str, msg: str = "", sub_code: str = "", sub_msg: str = "") -> None:
        super().__init__(f"Alipay code {code} {msg}: {sub_code} {sub_msg}".strip())
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return self.code in RETRYABLE_CODES or self.sub_code in RETRYABLE_SUB_CODES
