"""Housekeeping of login records, meant to run daily from ``qingmall.jobs`` (e.g. ``run_service(purge_login_records)``).

Expired SMS codes and refresh tokens are useless (an expired refresh token is refused for its ``exp``
before any lookup), and a session whose refresh tokens are all gone can never be used again; deleting
them keeps the tables small. Revoked sessions are kept a day so a late request still reads "revoked".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.settings import get_settings
from qingmall.shoppers.models import ShopperRefreshToken, ShopperSession, SmsCode


@dataclass(frozen=True)
class PurgeResult:
    sms_codes: int
    refresh_tokens: int
    sessions: int


async def purge_login_records(session: AsyncSession) -> PurgeResult:
    """Delete expired SMS codes and refresh tokens, and sessions that can no longer be used. Commits."""
    now = clock.now()
    grace = timedelta(days=1)
    codes = await session.execute(delete(SmsCode).where(SmsCode.expires_at < now - grace))
    tokens = await session.execute(delete(ShopperRefreshToken).where(ShopperRefreshToken.expires_at < now))
    access_ttl = timedelta(minutes=get_settings().access_token_minutes)
    has_token = exists(select(ShopperRefreshToken.id).where(ShopperRefreshToken.session_id == ShopperSession.id))
    sessions = await session.execute(
        delete(ShopperSession).where(
            (ShopperSession.revoked_at < now - grace)
            | (~has_token & (ShopperSession.updated_at < now - access_ttl - grace))
        )
    )
    await session.commit()
    return PurgeResult(codes.rowcount, tokens.rowcount, sessions.rowcount)
