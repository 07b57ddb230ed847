"""WeChat Pay API v3 failures as typed exceptions. Callers map them to their own domain errors.

Two families: ``WeChatPayVerificationError`` (a response or notification that cannot be proven to come
from WeChat Pay: never act on it) and ``WeChatPayGatewayError`` (WeChat Pay answered with an error, or
could not be reached).
"""

from __future__ import annotations


class WeChatPayError(Exception):
    """Any WeChat Pay failure. ``retryable`` tells the caller whether the same call may succeed later."""

    retryable = False


class WeChatPayVerificationError(WeChatPayError):
    """A signed message (response or notification) failed verification; its content must be ignored."""


class WeChatPaySignatureInvalid(WeChatPayVerificationError):
    """The signature is missing, malformed, a ``WECHATPAY/SIGNTEST/`` probe, or does not match the key."""


class WeChatPayUnknownSerial(WeChatPaySignatureInvalid):
    """``Wechatpay-Serial`` names a key or platform certificate this merchant is not configured with."""

    def __init__(self, serial: str) -> None:
        super().__init__(f"unknown Wechatpay-Serial {serial!r}")
        self.serial = serial


class WeChatPayTimestampStale(WeChatPayVerificationError):
    """``Wechatpay-Timestamp`` is outside the allowed window (replay protection)."""


class WeChatPayDecryptError(WeChatPayVerificationError):
    """The notification ``resource`` could not be decrypted (wrong APIv3 key, tampered ciphertext or AAD)."""


class WeChatPayGatewayError(WeChatPayError):
    """WeChat Pay answered a call with an error: HTTP status plus its ``code`` and ``message``."""

    def __init__(self, status_code: int, code: str, message: str = "") -> None:
        super().__init__(f"WeChat Pay HTTP {status_code} {code}: {message}")
        self.status_code = status_code
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return self.status_code >= 500 or self.code in RETRYABLE_CODES


class WeChatPayUnavailable(WeChatPayGatewayError):
    """A network error, timeout or a reply that is not JSON: the call may or may not have taken effect."""

    def __init__(self, message: str) -> None:
        super().__init__(0, "NETWORK_ERROR", message)

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return True


RETRYABLE_CODES = frozenset({"SYSTEM_ERROR", "SYSTEMERROR", "FREQUENCY_LIMITED", "BANK_ERROR"})
