"""WeChat mini-program server API client (protocol only, no business rules)."""

from qingmall.integrations.wechat.client import AccessTokenCache, PhoneInfo, SessionInfo, WeChatClient
from qingmall.integrations.wechat.errors import (
    WeChatAccessTokenInvalid,
    WeChatCodeInvalid,
    WeChatCredentialInvalid,
    WeChatError,
    WeChatHighRisk,
    WeChatRateLimited,
    WeChatUnavailable,
)

__all__ = [
    "AccessTokenCache",
    "PhoneInfo",
    "SessionInfo",
    "WeChatAccessTokenInvalid",
    "WeChatClient",
    "WeChatCodeInvalid",
    "WeChatCredentialInvalid",
    "WeChatError",
    "WeChatHighRisk",
    "WeChatRateLimited",
    "WeChatUnavailable",
]
