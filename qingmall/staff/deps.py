"""FastAPI dependencies for merchant routes: ``CurrentStaff`` and ``require_permission``.

``get_current_staff`` also tells the audit middleware who is acting, so every audited write carries
its actor without the route doing anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from qingmall.core.db import SessionDep
from qingmall.core.errors import Forbidden, Unauthorized
from qingmall.core.security import bearer_token, decode_token
from qingmall.staff.audit import note_actor
from qingmall.staff.models import Staff
from qingmall.staff.permissions import PERMISSIONS, has_permission


async def get_current_staff(
    request: Request, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Staff:
    payload = decode_token(bearer_token(authorization), audience="staff", token_type="access")
    try:
        staff_id = int(payload["sub"])
    except (TypeError, ValueError) as exc:
        raise Unauthorized("登录凭证无效，请重新登录", code="invalid_token") from exc
    staff = await session.get(Staff, staff_id)
    if staff is None or not staff.is_active or payload.get("ver") != staff.token_version:
        raise Unauthorized("登录已失效，请重新登录", code="invalid_token")
    request.state.staff_id = staff.id
    note_actor(request.scope, staff)
    return staff


CurrentStaff = Annotated[Staff, Depends(get_current_staff)]


def require_permission(permission: str) -> Callable[..., Awaitable[Staff]]:
    """A dependency that lets the request through only if the staff member's role has ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    async def _check(staff: CurrentStaff) -> Staff:
        if not has_permission(staff.role, permission):
            raise Forbidden(f"当前角色没有权限：{PERMISSIONS[permission]}", code="permission_denied")
        return staff

    return _check
