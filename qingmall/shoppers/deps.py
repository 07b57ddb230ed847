"""FastAPI dependencies for shopper routes: ``CurrentShopper`` (required), ``OptionalShopper``, ``CurrentLogin``,
and the partners a login needs (WeChat client, SMS sender, rate limiter).

An access token issued at login carries its session id (``sid``); the session must not be revoked, so
logout and refresh-token reuse end the access tokens of that login too. Tokens without ``sid`` (minted by
tests) are checked only against the shopper.

Partners are built once per app from ``app.state.settings`` and kept on ``app.state``; tests (or the app
factory) replace them by setting ``app.state.wechat_client``, ``app.state.sms_sender`` or
``app.state.rate_limiter`` before the first request, or with ``app.dependency_overrides``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlalchemy import select

from qingmall.core.db import SessionDep
from qingmall.core.errors import Unauthorized
from qingmall.core.ratelimit import RateLimiter
from qingmall.core.security import bearer_token, decode_token
from qingmall.integrations.wechat import WeChatClient
from qingmall.settings import Settings, get_settings
from qingmall.shoppers.models import Shopper, ShopperSession
from qingmall.shoppers.sms import SmsSender, build_sms_sender

_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class ShopperLogin:
    """The shopper behind a request and the login session its token belongs to (``None`` if untracked)."""

    shopper: Shopper
    session_id: int | None


def _int_claim(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise Unauthorized("登录凭证无效，请重新登录", code="invalid_token") from exc
    if not 1 <= number <= _MAX_ID:
        raise Unauthorized("登录凭证无效，请重新登录", code="invalid_token")
    return number


async def get_current_login(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> ShopperLogin:
    payload = decode_token(bearer_token(authorization), audience="shopper", token_type="access")
    shopper_id = _int_claim(payload, "sub")
    session_id = _int_claim(payload, "sid")
    if shopper_id is None:
        raise Unauthorized("登录凭证无效，请重新登录", code="invalid_token")
    if session_id is None:
        shopper = await session.get(Shopper, shopper_id)
    else:
        row = (
            await session.execute(
                select(Shopper, ShopperSession.revoked_at)
                .join(ShopperSession, ShopperSession.shopper_id == Shopper.id)
                .where(Shopper.id == shopper_id, ShopperSession.id == session_id)
            )
        ).first()
        if row is not None and row.revoked_at is not None:
            raise Unauthorized("登录已失效，请重新登录", code="session_revoked")
        shopper = row[0] if row is not None else None
    if shopper is None or not shopper.is_active:
        raise Unauthorized("账号不可用，请重新登录", code="invalid_token")
    return ShopperLogin(shopper, session_id)


CurrentLogin = Annotated[ShopperLogin, Depends(get_current_login)]


async def get_current_shopper(login: CurrentLogin) -> Shopper:
    return login.shopper


async def get_optional_shopper(
    session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Shopper | None:
    if not authorization:
        return None
    return (await get_current_login(session, authorization)).shopper


CurrentShopper = Annotated[Shopper, Depends(get_current_shopper)]
OptionalShopper = Annotated[Shopper | None, Depends(get_optional_shopper)]


def get_app_settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


AppSettings = Annotated[Settings, Depends(get_app_settings)]


def get_wechat_client(request: Request) -> WeChatClient:
    client = getattr(request.app.state, "wechat_client", None)
    if client is None:
        settings = get_app_settings(request)
        client = WeChatClient(
            appid=settings.wechat_appid, secret=settings.wechat_secret, base_url=settings.resolved_wechat_base_url
        )
        request.app.state.wechat_client = client
    return client


def get_sms_sender(request: Request) -> SmsSender:
    sender = getattr(request.app.state, "sms_sender", None)
    if sender is None:
        sender = build_sms_sender(get_app_settings(request).sms_sender)
        request.app.state.sms_sender = sender
    return sender


def get_rate_limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        limiter = RateLimiter(get_app_settings(request).redis_url)
        request.app.state.rate_limiter = limiter
    return limiter


def client_ip(request: Request) -> str:
    """The peer address as the ASGI server reports it (run uvicorn with ``--proxy-headers`` and
    ``--forwarded-allow-ips`` behind a proxy; a client-supplied X-Forwarded-For is not trusted here)."""
    return request.client.host if request.client else "unknown"


WeChatClientDep = Annotated[WeChatClient, Depends(get_wechat_client)]
SmsSenderDep = Annotated[SmsSender, Depends(get_sms_sender)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
ClientIp = Annotated[str, Depends(client_ip)]
