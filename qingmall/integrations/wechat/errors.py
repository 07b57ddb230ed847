"""WeChat API failures as typed exceptions. Callers map them to their own domain errors.

The ``errcode`` values come from the mini-program server API documentation; anything not listed here
raises the base ``WeChatError`` with the code kept for the logs.
"""

from __future__ import annotations


class WeChatError(Exception):
    """A WeChat API call failed. ``retryable`` tells the caller whether the same call may succeed later."""

    retryable = False

    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"WeChat errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatUnavailable(WeChatError):
    """``-1`` system busy, a timeout, a network error, a 5xx or a reply that is not JSON."""

    retryable = True


class WeChatCodeInvalid(WeChatError):
    """``40029`` invalid code / ``40163`` code already used: a ``wx.login`` or phone code is single use."""


class WeChatRateLimited(WeChatError):
    """``45011``: the per-user API frequency limit was hit."""

    retryable = True


class WeChatHighRisk(WeChatError):
    """``40226``: WeChat flags the user as high risk and refuses the login."""


class WeChatCredentialInvalid(WeChatError):
    """``40013`` invalid appid, ``40125`` invalid secret, ``40164`` caller IP not allowed: configuration."""


class WeChatAccessTokenInvalid(WeChatError):
    """``40001`` / ``42001`` / ``40014``: the access token is wrong or expired even after a refetch."""


ACCESS_TOKEN_ERRCODES = frozenset({40001, 42001, 40014})

_BY_ERRCODE: dict[int, type[WeChatError]] = {
    -1: WeChatUnavailable,
    40029: WeChatCodeInvalid,
    40163: WeChatCodeInvalid,
    45011: WeChatRateLimited,
    40226: WeChatHighRisk,
    40013: WeChatCredentialInvalid,
    40125: WeChatCredentialInvalid,
    40164: WeChatCredentialInvalid,
    40001: WeChatAccessTokenInvalid,
    42001: WeChatAccessTokenInvalid,
    40014: WeChatAccessTokenInvalid,
}


def error_for(errcode: int, errmsg: str = "") -> WeChatError:
    return _BY_ERRCODE.get(errcode, WeChatError)(errcode, errmsg)
