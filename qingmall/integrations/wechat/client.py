"""Async client of the WeChat mini-program server API: login, phone number, access token.

Protocol only, no business rules. The base URL is injectable (the local sandbox by default, the real
``https://api.weixin.qq.com`` in production) and so is the httpx transport, which lets tests run the
client against ``httpx.ASGITransport(app=create_wechat_sandbox())`` without a socket.

Access tokens come from ``/cgi-bin/stable_token`` (stable across callers, unlike the old ``/cgi-bin/token``)
and are cached per appid until ``safety_margin`` before they expire (see ``AccessTokenCache``). A call
that WeChat answers with 40001 / 42001 / 40014 drops the cached token, fetches a fresh one and is retried once.

``session_key`` from code2Session is returned to the caller (it is needed to decrypt ``wx.getUserInfo``
payloads) but never printed: it is excluded from ``repr`` and must never be sent to the client.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson

from qingmall.core import clock
from qingmall.integrations.http import PartnerHttp
from qingmall.integrations.wechat.errors import (
    ACCESS_TOKEN_ERRCODES,
    WeChatAccessTokenInvalid,
    WeChatUnavailable,
    error_for,
)

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=3.0)


@dataclass(frozen=True)
class SessionInfo:
    """The result of code2Session. ``unionid`` exists only when the app is bound to an open platform."""

    openid: str
    unionid: str | None
    session_key: str = field(repr=False)


@dataclass(frozen=True)
class PhoneInfo:
    """A phone number the user agreed to share; ``country_code`` is normalised to a string."""

    phone_number: str
    pure_phone_number: str
    country_code: str


@dataclass
class _CachedToken:
    token: str
    refresh_at: datetime


class AccessTokenCache:
    """Access tokens by appid, shared by every client in the process that is given the same cache.

    A token is used until ``margin`` before it expires. stable_token hands back the same token, with
    its remaining lifetime, until it really expires, so a token fetched with less than twice the margin
    left is used for half of what remains (never a fetch per call near the end of its life). One lock
    per appid so a burst of callers on a cold cache triggers one fetch, not one each.
    """

    def __init__(self) -> None:
        self._tokens: dict[str, _CachedToken] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def get(self, appid: str) -> str | None:
        cached = self._tokens.get(appid)
        if cached is None or clock.now() >= cached.refresh_at:
            return None
        return cached.token

    def put(self, appid: str, token: str, expires_in: int, margin: timedelta) -> None:
        lifetime = timedelta(seconds=max(expires_in, 0))
        self._tokens[appid] = _CachedToken(token, clock.now() + lifetime - min(margin, lifetime / 2))

    def discard(self, appid: str, token: str) -> None:
        """Forget ``token`` unless another caller already replaced it with a newer one."""
        cached = self._tokens.get(appid)
        if cached is not None and cached.token == token:
            del self._tokens[appid]

    def lock(self, appid: str) -> asyncio.Lock:
        return self._locks.setdefault(appid, asyncio.Lock())


_shared_cache = AccessTokenCache()


class WeChatClient:
    """One mini-program (``appid`` + ``secret``) talking to one WeChat API base URL."""

    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        base_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        token_cache: AccessTokenCache | None = None,
        safety_margin: timedelta = timedelta(minutes=5),
    ) -> None:
        self.appid = appid
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self._tokens = token_cache if token_cache is not None else _shared_cache
        self._margin = safety_margin
        self._http = PartnerHttp(transport=transport, timeout=timeout, base_url=self.base_url)

    def __repr__(self) -> str:
        return f"WeChatClient(appid={self.appid!r}, base_url={self.base_url!r})"

    def _client(self) -> httpx.AsyncClient:
        return self._http.client()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One HTTP call; any ``errcode`` other than 0 becomes the matching ``WeChatError``."""
        try:
            response = await self._client().request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise WeChatUnavailable(-1, f"network error: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise WeChatUnavailable(-1, f"HTTP {response.status_code}")
        try:
            body = orjson.loads(response.content)  # jscode2session answers JSON as text/plain
        except orjson.JSONDecodeError as exc:
            raise WeChatUnavailable(-1, f"HTTP {response.status_code}, not JSON") from exc
        if not isinstance(body, dict):
            raise WeChatUnavailable(-1, "reply is not a JSON object")
        errcode = body.get("errcode", 0)
        if errcode not in (0, None):
            try:
                code = int(errcode)
            except (TypeError, ValueError):
                code = -1
            raise error_for(code, str(body.get("errmsg", "")))
        if response.status_code >= 400:
            raise WeChatUnavailable(-1, f"HTTP {response.status_code}")
        return body

    async def code_to_session(self, js_code: str) -> SessionInfo:
        """``GET /sns/jscode2session``: exchange a ``wx.login`` code (single use) for the openid."""
        body = await self._call(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": self.appid,
                "secret": self._secret,
                "js_code": js_code,
                "grant_type": "authorization_code",
            },
        )
        openid = body.get("openid")
        if not isinstance(openid, str) or not openid:
            raise WeChatUnavailable(-1, "code2Session reply has no openid")
        unionid = body.get("unionid")
        return SessionInfo(
            openid=openid,
            unionid=unionid if isinstance(unionid, str) and unionid else None,
            session_key=str(body.get("session_key", "")),
        )

    async def _fetch_access_token(self, force_refresh: bool) -> str:
        body = await self._call(
            "POST",
            "/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self._secret,
                "force_refresh": force_refresh,
            },
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatUnavailable(-1, "stable_token reply has no access_token")
        try:
            expires_in = int(body.get("expires_in", 7200))
        except (TypeError, ValueError):
            expires_in = 7200
        self._tokens.put(self.appid, token, expires_in, self._margin)
        return token

    async def get_access_token(self, *, force_refresh: bool = False) -> str:
        """The cached token for this appid, fetched when missing or within the safety margin of expiry."""
        if not force_refresh:
            cached = self._tokens.get(self.appid)
            if cached is not None:
                return cached
        async with self._tokens.lock(self.appid):
            if not force_refresh:
                cached = self._tokens.get(self.appid)
                if cached is not None:
                    return cached
            return await self._fetch_access_token(force_refresh)

    async def _call_with_token(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        token = await self.get_access_token()
        try:
            return await self._call(method, path, params={"access_token": token}, **kwargs)
        except WeChatAccessTokenInvalid as exc:
            if exc.errcode not in ACCESS_TOKEN_ERRCODES:
                raise
            self._tokens.discard(self.appid, token)
        token = await self.get_access_token()
        return await self._call(method, path, params={"access_token": token}, **kwargs)

    async def get_phone_number(self, code: str) -> PhoneInfo:
        """``POST /wxa/business/getuserphonenumber``: the phone behind a ``getPhoneNumber`` code (single use)."""
        body = await self._call_with_token("POST", "/wxa/business/getuserphonenumber", json={"code": code})
        info = body.get("phone_info")
        if not isinstance(info, dict):
            raise WeChatUnavailable(-1, "getuserphonenumber reply has no phone_info")
        pure = str(info.get("purePhoneNumber") or "")
        if not pure:
            raise WeChatUnavailable(-1, "getuserphonenumber reply has no purePhoneNumber")
        return PhoneInfo(
            phone_number=str(info.get("phoneNumber") or pure),
            pure_phone_number=pure,
            country_code=str(info.get("countryCode") or "86"),
        )
