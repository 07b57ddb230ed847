"""A fake of the WeChat mini-program server API, for development, demos and tests.

Serves at its root the paths of ``api.weixin.qq.com`` that Qingmall uses:

- ``GET /sns/jscode2session``: checks appid (40013) and secret (40125); a ``js_code`` is single use
  (second use: 40029). ``demo-<name>`` or ``demo-<name>-<anything>`` always gives the same openid (and
  unionid) for ``<name>``, so a test or demo "user" logs in as the same shopper every time; any other
  code gives a new random openid.
- ``POST /cgi-bin/stable_token``: tokens live 7200 s; without ``force_refresh`` the current token is
  returned with its remaining lifetime; ``force_refresh`` issues a new one and invalidates the old.
- ``POST /wxa/business/getuserphonenumber?access_token=``: unknown or expired token: 40001. Phone codes
  are single use (40029 on reuse); ``phone-13800138000`` gives that number (``phone-852-61234567`` a
  number with country code 852); any other code a number derived from the code.

Codes that make either endpoint fail, and are never used up: ``ratelimit-*`` (45011), ``risky-*``
(40226), ``busy-*`` (-1). An empty code gives 41008.

State is in memory and guarded by a lock, so the fake can be driven from tests and threads alike; time
comes from ``qingmall.core.clock`` so tests expire tokens with ``clock.advance``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

from qingmall.core import clock

TOKEN_TTL_SECONDS = 7200
_DEMO_CODE = re.compile(r"^demo-([A-Za-z0-9_]{1,32})(?:-.*)?$")
_PHONE_CODE = re.compile(r"^phone-(?:(\d{1,4})-)?(\d{5,15})$")
_FAILURES = {
    "ratelimit-": (45011, "api minute-quota reach limit  mustslower  retry next minute"),
    "risky-": (40226, "invalid request, high risk user"),
    "busy-": (-1, "system error"),
}


def _rid() -> str:
    return secrets.token_hex(6)


def _error(errcode: int, errmsg: str) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": f"{errmsg}, rid: {_rid()}"}


def _stable_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return prefix + base64.urlsafe_b64encode(digest).decode()[:27]


def demo_identity(appid: str, name: str) -> tuple[str, str]:
    """The (openid, unionid) the sandbox gives the login code ``demo-<name>-...`` for ``appid``: the demo seed
    creates its shoppers with these, so a demo code logs in as the seeded shopper."""
    return _stable_id("o", appid, name), _stable_id("u", "unionid", name)


class WeChatSandbox:
    """The fake server's state: one mini-program (appid + secret), its tokens and the codes seen."""

    def __init__(self, *, appid: str, secret: str, issue_unionid: bool = True) -> None:
        self.appid = appid
        self.secret = secret
        self.issue_unionid = issue_unionid
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._used_login_codes: set[str] = set()
        self._used_phone_codes: set[str] = set()
        self._tokens: dict[str, datetime] = {}
        self._current_token: str | None = None

    @classmethod
    def from_settings(cls) -> WeChatSandbox:
        from qingmall.settings import get_settings

        settings = get_settings()
        return cls(appid=settings.wechat_appid, secret=settings.wechat_secret)

    def _credentials_error(self, appid: str | None, secret: str | None) -> dict[str, Any] | None:
        if appid != self.appid:
            return _error(40013, "invalid appid")
        if secret != self.secret:
            return _error(40125, "invalid appsecret")
        return None

    @staticmethod
    def _failure_for(code: str) -> dict[str, Any] | None:
        for prefix, (errcode, errmsg) in _FAILURES.items():
            if code.startswith(prefix):
                return _error(errcode, errmsg)
        return None

    def code_to_session(
        self, *, appid: str | None, secret: str | None, js_code: str | None, grant_type: str | None
    ) -> dict[str, Any]:
        with self._lock:
            self.calls["jscode2session"] += 1
            refused = self._credentials_error(appid, secret)
            if refused is not None:
                return refused
            if grant_type != "authorization_code":
                return _error(40002, "invalid grant_type")
            if not js_code:
                return _error(41008, "missing code")
            failure = self._failure_for(js_code)
            if failure is not None:
                return failure
            if js_code in self._used_login_codes:
                return _error(40029, "invalid code")
            self._used_login_codes.add(js_code)
        demo = _DEMO_CODE.match(js_code)
        if demo:
            openid, unionid = demo_identity(self.appid, demo.group(1))
        else:
            openid = _stable_id("o", self.appid, secrets.token_hex(16))
            unionid = _stable_id("u", "unionid", secrets.token_hex(16))
        body: dict[str, Any] = {"openid": openid, "session_key": base64.b64encode(secrets.token_bytes(16)).decode()}
        if self.issue_unionid:
            body["unionid"] = unionid
        return body

    def stable_token(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            return _error(47001, "data format error")
        with self._lock:
            self.calls["stable_token"] += 1
            if payload.get("grant_type") != "client_credential":
                return _error(40002, "invalid grant_type")
            refused = self._credentials_error(payload.get("appid"), payload.get("secret"))
            if refused is not None:
                return refused
            now = clock.now()
            current = self._current_token
            if current is not None and (payload.get("force_refresh") is True or self._tokens[current] <= now):
                del self._tokens[current]
                current = None
            if current is None:
                current = secrets.token_urlsafe(48)
                self._tokens[current] = now + timedelta(seconds=TOKEN_TTL_SECONDS)
                self._current_token = current
            remaining = int((self._tokens[current] - now).total_seconds())
            return {"access_token": current, "expires_in": max(remaining, 1)}

    def get_phone_number(self, *, access_token: str | None, payload: Any) -> dict[str, Any]:
        with self._lock:
            self.calls["getuserphonenumber"] += 1
            if not access_token:
                return _error(41001, "access_token missing")
            expires_at = self._tokens.get(access_token)
            if expires_at is None or expires_at <= clock.now():
                return _error(40001, "invalid credential, access_token is invalid or not latest")
            code = payload.get("code") if isinstance(payload, dict) else None
            if not isinstance(code, str) or not code:
                return _error(47001, "data format error")
            failure = self._failure_for(code)
            if failure is not None:
                return failure
            if code in self._used_phone_codes:
                return _error(40029, "invalid code")
            if code.startswith("phone-") and not _PHONE_CODE.match(code):
                return _error(40029, "invalid code")
            self._used_phone_codes.add(code)
        match = _PHONE_CODE.match(code)
        if match:
            country, number = match.group(1) or "86", match.group(2)
        else:
            digits = int.from_bytes(hashlib.sha256(code.encode()).digest()[:8], "big") % 10**8
            country, number = "86", f"199{digits:08d}"
        full = number if country == "86" else f"+{country}{number}"
        return {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": full,
                "purePhoneNumber": number,
                "countryCode": country,
                "watermark": {"timestamp": int(clock.now().timestamp()), "appid": self.appid},
            },
        }

    def expire_access_tokens(self) -> None:
        """Invalidate every issued token at once (as if WeChat rotated them), for tests."""
        with self._lock:
            self._tokens.clear()
            self._current_token = None


def _json(body: dict[str, Any], media_type: str = "application/json") -> Response:
    return Response(orjson.dumps(body), media_type=media_type)


async def _json_body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None


def create_wechat_sandbox(state: WeChatSandbox | None = None) -> FastAPI:
    """The fake WeChat API as an ASGI app serving at its root; mount it anywhere (e.g. ``/sandbox/wechat``).

    ``app.state.wechat`` is the ``WeChatSandbox`` behind it, for tests to inspect or steer.
    """
    sandbox = state if state is not None else WeChatSandbox.from_settings()
    app = FastAPI(title="WeChat sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.wechat = sandbox

    @app.get("/sns/jscode2session")
    async def jscode2session(request: Request) -> Response:
        query = request.query_params
        body = sandbox.code_to_session(
            appid=query.get("appid"),
            secret=query.get("secret"),
            js_code=query.get("js_code"),
            grant_type=query.get("grant_type"),
        )
        return _json(body, media_type="text/plain")  # the real endpoint answers JSON as text/plain

    @app.post("/cgi-bin/stable_token")
    async def stable_token(request: Request) -> Response:
        return _json(sandbox.stable_token(await _json_body(request)))

    @app.post("/wxa/business/getuserphonenumber")
    async def getuserphonenumber(request: Request) -> Response:
        body = sandbox.get_phone_number(
            access_token=request.query_params.get("access_token"), payload=await _json_body(request)
        )
        return _json(body)

    return app
