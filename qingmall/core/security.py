"""Passwords (argon2) and signed tokens (JWT, HS256 with the service secret).

Tokens carry a ``typ`` (``access`` / ``refresh``) and an ``aud`` (``shopper`` / ``staff``) so a shopper token
can never open a merchant route, and a refresh token can never be used as an access token.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash

from qingmall.core import clock
from qingmall.core.errors import Unauthorized
from qingmall.settings import get_settings

_hasher = PasswordHash.recommended()
_DUMMY_HASH = _hasher.hash("qingmall-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-ish time: a missing account still costs one argon2 verification."""
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:
        return False


def issue_token(
    subject: int | str, *, audience: str, token_type: str, ttl: timedelta, extra: dict[str, Any] | None = None
) -> str:
    issued = clock.now()
    payload: dict[str, Any] = {
        "sub": str(subject),
        "aud": audience,
        "typ": token_type,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": secrets.token_hex(8),
    }
    if extra:
        payload.update(extra)
    return jwt.encode(payload, get_settings().resolved_secret_key, algorithm="HS256")


def decode_token(token: str, *, audience: str, token_type: str) -> dict[str, Any]:
    try:
        payload = jwt.decode(
            token,
            get_settings().resolved_secret_key,
            algorithms=["HS256"],
            audience=audience,
            options={"verify_exp": False, "verify_iat": False, "require": ["sub", "exp", "aud", "typ"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized("登录凭证无效，请重新登录", code="invalid_token") from exc
    if payload.get("typ") != token_type:
        raise Unauthorized("登录凭证类型不正确", code="invalid_token")
    if payload["exp"] < clock.now().timestamp():
        raise Unauthorized("登录已过期，请重新登录", code="token_expired")
    return payload


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("请先登录", code="not_authenticated")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("请先登录", code="not_authenticated")
    return token.strip()
