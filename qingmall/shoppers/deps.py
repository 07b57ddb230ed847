"""FastAPI dependencies for shopper routes: ``CurrentShopper`` (required) and ``OptionalShopper``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from qingmall.core.db import SessionDep
from qingmall.core.errors import Unauthorized
from qingmall.core.security import bearer_token, decode_token
from qingmall.shoppers.models import Shopper


async def get_current_shopper(
    session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Shopper:
    payload = decode_token(bearer_token(authorization), audience="shopper", token_type="access")
    try:
        shopper_id = int(payload["sub"])
    except (TypeError, ValueError) as exc:
        raise Unauthorized("登录凭证无效，请重新登录", code="invalid_token") from exc
    shopper = await session.get(Shopper, shopper_id)
    if shopper is None or not shopper.is_active:
        raise Unauthorized("账号不可用，请重新登录", code="invalid_token")
    return shopper


async def get_optional_shopper(
    session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Shopper | None:
    if not authorization:
        return None
    return await get_current_shopper(session, authorization)


CurrentShopper = Annotated[Shopper, Depends(get_current_shopper)]
OptionalShopper = Annotated[Shopper | None, Depends(get_optional_shopper)]
