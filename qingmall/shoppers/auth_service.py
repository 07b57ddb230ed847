"""Shopper login: WeChat mini-program (code2Session), H5 SMS codes, phone binding, refresh and logout.

Sessions and tokens:
- every login opens a ``ShopperSession`` and returns an access token (``settings.access_token_minutes``)
  and a refresh token (``settings.refresh_token_days``), both carrying the session id ``sid``;
- a refresh token is single use: exchanging it marks it used by a conditional UPDATE and issues a new
  pair in the same session; presenting a used token again means it was stolen or replayed, so the whole
  session is revoked (the thief's and the owner's tokens alike) and the shopper must log in again.

SMS codes: six digits, stored as a keyed hash, valid ``settings.sms_code_ttl_seconds``; a new code
replaces the previous one; ``MAX_ATTEMPTS`` wrong guesses consume the code; a used code never works again.
Sending is rate limited per phone (per minute and per day) and per client IP (per hour).

WeChat failures become domain errors here (the integration knows no business rules): an invalid or
used code is 422 ``wechat_code_invalid``; busy/unreachable is a retryable 502 ``wechat_busy``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.crypto import blind_index, encrypt, mask_phone, phone_hash
from qingmall.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    TooManyRequests,
    Unauthorized,
    UpstreamError,
)
from qingmall.core.ratelimit import RateLimiter, Rule
from qingmall.core.security import decode_token, issue_token
from qingmall.integrations.wechat import (
    WeChatClient,
    WeChatCodeInvalid,
    WeChatError,
    WeChatHighRisk,
    WeChatRateLimited,
)
from qingmall.settings import Settings, get_settings
from qingmall.shoppers.models import Shopper, ShopperRefreshToken, ShopperSession, SmsCode
from qingmall.shoppers.schemas import SmsCodeSent
from qingmall.shoppers.sms import SmsSender, SmsSendFailed

log = structlog.get_logger("qingmall.shoppers.auth")

MAX_ATTEMPTS = 5
SMS_PURPOSE_LOGIN = "login"
PHONE_PURPOSE = "shopper.phone"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class LoginOutcome:
    shopper: Shopper
    tokens: TokenPair
    is_new: bool


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _wechat_failure(exc: WeChatError) -> Exception:
    """Map a WeChat API failure to what the shopper's client should see."""
    if isinstance(exc, WeChatCodeInvalid):
        return InvalidInput("微信授权码无效或已使用，请重新授权", code="wechat_code_invalid")
    if isinstance(exc, WeChatRateLimited):
        return TooManyRequests("微信登录过于频繁，请稍后再试", code="wechat_rate_limited", details={"retryable": True})
    if isinstance(exc, WeChatHighRisk):
        return Forbidden("该微信账号存在安全风险，暂时无法登录", code="wechat_high_risk")
    if exc.retryable:
        return UpstreamError("微信服务繁忙，请稍后重试", code="wechat_busy", details={"retryable": True})
    log.error("wechat_call_failed", errcode=exc.errcode, errmsg=exc.errmsg)
    return UpstreamError("微信服务暂不可用，请稍后再试", code="wechat_unavailable", details={"retryable": False})


async def _issue_pair(session: AsyncSession, shopper_id: int, session_id: int) -> TokenPair:
    """Issue an access + refresh pair for one session and record the refresh token. Does not commit."""
    settings = get_settings()
    access_ttl = timedelta(minutes=settings.access_token_minutes)
    refresh_ttl = timedelta(days=settings.refresh_token_days)
    jti = secrets.token_hex(16)
    access = issue_token(shopper_id, audience="shopper", token_type="access", ttl=access_ttl, extra={"sid": session_id})
    refresh = issue_token(
        shopper_id, audience="shopper", token_type="refresh", ttl=refresh_ttl, extra={"sid": session_id, "jti": jti}
    )
    session.add(ShopperRefreshToken(session_id=session_id, jti_hash=_sha256(jti), expires_at=clock.now() + refresh_ttl))
    await session.flush()
    return TokenPair(access, refresh, int(access_ttl.total_seconds()))


async def _open_session(session: AsyncSession, shopper: Shopper, channel: str) -> TokenPair:
    """Record the login and open a token family for it. Does not commit."""
    if not shopper.is_active:
        raise Forbidden("账号已被停用，请联系客服", code="account_disabled")
    shopper.last_login_at = clock.now()
    login = ShopperSession(shopper_id=shopper.id, channel=channel)
    session.add(login)
    await session.flush()
    return await _issue_pair(session, shopper.id, login.id)


async def _insert_or_get(session: AsyncSession, shopper: Shopper, lookup: Any) -> tuple[Shopper, bool]:
    """Insert a new shopper unless a concurrent request already created it (unique openid/phone_hash)."""
    try:
        async with session.begin_nested():
            session.add(shopper)
            await session.flush()
        return shopper, True
    except IntegrityError:
        existing = (await session.execute(select(Shopper).where(lookup))).scalar_one_or_none()
        if existing is None:
            raise
        return existing, False


async def login_with_wechat(
    session: AsyncSession,
    client: WeChatClient,
    *,
    code: str,
    nickname: str | None = None,
    avatar_url: str | None = None,
) -> LoginOutcome:
    """Exchange a ``wx.login`` code for the openid and log that shopper in, creating them on first login."""
    try:
        info = await client.code_to_session(code)
    except WeChatError as exc:
        raise _wechat_failure(exc) from exc
    shopper = (await session.execute(select(Shopper).where(Shopper.openid == info.openid))).scalar_one_or_none()
    is_new = False
    if shopper is None:
        shopper, is_new = await _insert_or_get(
            session,
            Shopper(
                openid=info.openid, unionid=info.unionid, nickname=nickname or "微信用户", avatar_url=avatar_url or ""
            ),
            Shopper.openid == info.openid,
        )
    if not is_new:
        if info.unionid and not shopper.unionid:
            shopper.unionid = info.unionid
        if nickname:
            shopper.nickname = nickname
        if avatar_url:
            shopper.avatar_url = avatar_url
    tokens = await _open_session(session, shopper, "wechat")
    await session.commit()
    return LoginOutcome(shopper, tokens, is_new)


def _code_hash(phone_index: str, code: str) -> str:
    return blind_index(f"{phone_index}:{code}", purpose="sms-code")


def sms_rules(settings: Settings, phone_index: str, ip: str) -> tuple[Rule, ...]:
    return (
        Rule(f"{settings.sms_per_phone_per_minute}/minute", f"sms:phone:{phone_index}"),
        Rule(f"{settings.sms_per_phone_per_day}/day", f"sms:phone:{phone_index}"),
        Rule(f"{settings.sms_per_ip_per_hour}/hour", f"sms:ip:{ip}"),
    )


async def send_sms_code(
    session: AsyncSession,
    sender: SmsSender,
    limiter: RateLimiter,
    settings: Settings,
    *,
    phone: str,
    ip: str,
) -> SmsCodeSent:
    """Issue a new login code for ``phone`` (replacing any open one) and send it."""
    index = phone_hash(phone)
    await limiter.consume(*sms_rules(settings, index, ip), message="验证码发送过于频繁，请稍后再试")
    now = clock.now()
    await session.execute(
        update(SmsCode)
        .where(SmsCode.phone_hash == index, SmsCode.purpose == SMS_PURPOSE_LOGIN, SmsCode.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = settings.sms_code_ttl_seconds
    session.add(
        SmsCode(
            phone_hash=index,
            purpose=SMS_PURPOSE_LOGIN,
            code_hash=_code_hash(index, code),
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    await session.commit()
    try:
        await sender.send_login_code(phone, code, ttl)
    except SmsSendFailed as exc:
        log.warning("sms_send_failed", phone=mask_phone(phone), error=str(exc))
        raise UpstreamError("短信发送失败，请稍后重试", code="sms_send_failed", details={"retryable": True}) from exc
    return SmsCodeSent(expires_in=ttl, resend_after=math.ceil(60 / max(1, settings.sms_per_phone_per_minute)))


async def _consume_sms_code(session: AsyncSession, index: str, code: str) -> None:
    """Accept ``code`` for the phone or raise; a wrong guess is counted and committed before raising."""
    now = clock.now()
    row = (
        await session.execute(
            select(SmsCode)
            .where(SmsCode.phone_hash == index, SmsCode.purpose == SMS_PURPOSE_LOGIN, SmsCode.consumed_at.is_(None))
            .order_by(SmsCode.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        raise InvalidInput("验证码无效，请重新获取", code="sms_code_invalid")
    if row.expires_at <= now:
        raise InvalidInput("验证码已过期，请重新获取", code="sms_code_expired")
    if not hmac.compare_digest(row.code_hash, _code_hash(index, code)):
        attempts = (
            await session.execute(
                update(SmsCode)
                .where(SmsCode.id == row.id, SmsCode.consumed_at.is_(None))
                .values(
                    attempts=SmsCode.attempts + 1,
                    consumed_at=case((SmsCode.attempts + 1 >= MAX_ATTEMPTS, now), else_=None),
                )
                .returning(SmsCode.attempts)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
        await session.commit()
        left = 0 if attempts is None else max(0, MAX_ATTEMPTS - attempts)
        if left == 0:
            raise InvalidInput("验证码错误次数过多，请重新获取", code="sms_code_invalid")
        raise InvalidInput(f"验证码错误，还可尝试 {left} 次", code="sms_code_wrong", details={"attempts_left": left})
    claimed = await session.execute(
        update(SmsCode)
        .where(
            SmsCode.id == row.id,
            SmsCode.consumed_at.is_(None),
            SmsCode.attempts < MAX_ATTEMPTS,
            SmsCode.expires_at > now,
        )
        .values(consumed_at=now)
    )
    if claimed.rowcount != 1:
        await session.rollback()
        raise InvalidInput("验证码无效，请重新获取", code="sms_code_invalid")


async def login_with_sms(session: AsyncSession, *, phone: str, code: str) -> LoginOutcome:
    """Log in (or sign up) by phone with a code from ``send_sms_code``."""
    index = phone_hash(phone)
    await _consume_sms_code(session, index, code)
    shopper = (await session.execute(select(Shopper).where(Shopper.phone_hash == index))).scalar_one_or_none()
    is_new = False
    if shopper is None:
        shopper, is_new = await _insert_or_get(
            session,
            Shopper(
                phone_hash=index,
                phone_cipher=encrypt(phone, purpose=PHONE_PURPOSE),
                phone_masked=mask_phone(phone),
                nickname=f"用户{phone[-4:]}",
            ),
            Shopper.phone_hash == index,
        )
    tokens = await _open_session(session, shopper, "sms")
    await session.commit()
    return LoginOutcome(shopper, tokens, is_new)


async def bind_wechat_phone(session: AsyncSession, client: WeChatClient, shopper: Shopper, *, code: str) -> Shopper:
    """Bind the phone number behind a mini-program ``getPhoneNumber`` code to ``shopper``.

    409 ``phone_taken`` when another shopper already has that number (accounts are never merged silently).
    """
    try:
        info = await client.get_phone_number(code)
    except WeChatError as exc:
        raise _wechat_failure(exc) from exc
    phone = info.pure_phone_number
    if info.country_code not in ("86", ""):
        phone = f"+{info.country_code}{phone}"
    index = phone_hash(phone)
    if shopper.phone_hash == index:
        return shopper
    owner = (await session.execute(select(Shopper.id).where(Shopper.phone_hash == index))).scalar_one_or_none()
    if owner is not None:
        raise Conflict("该手机号已绑定其他账号", code="phone_taken")
    shopper.phone_hash = index
    shopper.phone_cipher = encrypt(phone, purpose=PHONE_PURPOSE)
    shopper.phone_masked = mask_phone(phone)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("该手机号已绑定其他账号", code="phone_taken") from exc
    return shopper


async def _revoke_session(session: AsyncSession, session_id: int, reason: str) -> None:
    await session.execute(
        update(ShopperSession)
        .where(ShopperSession.id == session_id, ShopperSession.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason)
    )


async def refresh_tokens(session: AsyncSession, *, refresh_token: str) -> TokenPair:
    """Exchange a refresh token (once) for a new pair in the same session; reuse revokes the session."""
    payload = decode_token(refresh_token, audience="shopper", token_type="refresh")
    jti, sid, sub = payload.get("jti"), payload.get("sid"), payload.get("sub")
    valid_sid = isinstance(sid, int) and not isinstance(sid, bool) and 1 <= sid < 2**63
    valid_sub = isinstance(sub, str) and sub.isascii() and sub.isdigit() and len(sub) <= 18
    if not isinstance(jti, str) or not valid_sid or not valid_sub:
        raise Unauthorized("登录凭证无效，请重新登录", code="invalid_token")
    jti_hash = _sha256(jti)
    now = clock.now()
    claimed = await session.execute(
        update(ShopperRefreshToken)
        .where(
            ShopperRefreshToken.jti_hash == jti_hash,
            ShopperRefreshToken.session_id == sid,
            ShopperRefreshToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        known = (
            await session.execute(select(ShopperRefreshToken.id).where(ShopperRefreshToken.jti_hash == jti_hash))
        ).scalar_one_or_none()
        if known is None:
            await session.rollback()
            raise Unauthorized("登录凭证无效，请重新登录", code="invalid_token")
        await _revoke_session(session, sid, "refresh_reused")
        await session.commit()
        log.warning("refresh_token_reused", session_id=sid)
        raise Unauthorized("登录凭证已被使用，请重新登录", code="refresh_token_reused")
    login = (
        await session.execute(
            select(ShopperSession, Shopper.is_active)
            .join(Shopper, Shopper.id == ShopperSession.shopper_id)
            .where(ShopperSession.id == sid, ShopperSession.shopper_id == int(sub))
        )
    ).first()
    if login is None or login[0].revoked_at is not None or not login.is_active:
        await session.rollback()
        raise Unauthorized("登录已失效，请重新登录", code="session_revoked")
    tokens = await _issue_pair(session, int(sub), sid)
    await session.commit()
    return tokens


async def logout(session: AsyncSession, *, session_id: int | None) -> None:
    """Revoke the login session (its refresh and access tokens). A token without a session is a no-op."""
    if session_id is None:
        return
    await _revoke_session(session, session_id, "logout")
    await session.commit()
