"""Merchant routes of the staff area (mounted under /api/admin/v1): login, me, staff, roles, audit log.

Login, logout and ``/me`` are for any staff member (by design they cannot require a permission); every
other route declares one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.core.text import SINGLE_LINE_PATTERN
from qingmall.staff import audit, service
from qingmall.staff.deps import CurrentStaff, require_permission
from qingmall.staff.schemas import (
    AuditLogPublic,
    LoginRequest,
    LoginResult,
    PasswordChange,
    PasswordReset,
    RolePublic,
    StaffCreate,
    StaffPublic,
    StaffUpdate,
)

router = APIRouter(tags=["admin:staff"])

StaffId = Annotated[int, Path(ge=1, le=2**63 - 1)]
manage = [Depends(require_permission("staff.manage"))]


@router.post("/auth/login")
async def log_in(body: LoginRequest, session: SessionDep) -> LoginResult:
    return await service.log_in(session, username=body.username, password=body.password)


@router.post("/auth/logout", status_code=204)
async def log_out(staff: CurrentStaff, session: SessionDep) -> Response:
    await service.log_out(session, staff)
    return Response(status_code=204)


@router.get("/me")
async def get_me(staff: CurrentStaff) -> StaffPublic:
    return StaffPublic.from_staff(staff)


@router.post("/me/password")
async def change_my_password(body: PasswordChange, staff: CurrentStaff, session: SessionDep) -> LoginResult:
    return await service.change_own_password(
        session, staff, old_password=body.old_password, new_password=body.new_password
    )


@router.get("/roles", dependencies=manage)
async def list_roles() -> list[RolePublic]:
    return service.list_roles()


@router.get("/staff", dependencies=manage)
async def list_staff(session: SessionDep) -> list[StaffPublic]:
    return [StaffPublic.from_staff(staff) for staff in await service.list_staff(session)]


@router.post("/staff", status_code=201, dependencies=manage)
async def create_staff(body: StaffCreate, session: SessionDep) -> StaffPublic:
    staff = await service.create_staff(
        session, username=body.username, password=body.password, role=body.role, display_name=body.display_name
    )
    return StaffPublic.from_staff(staff)


@router.get("/staff/{staff_id}", dependencies=manage)
async def get_staff(staff_id: StaffId, session: SessionDep) -> StaffPublic:
    return StaffPublic.from_staff(await service.get_staff(session, staff_id))


@router.patch("/staff/{staff_id}", dependencies=manage)
async def update_staff(staff_id: StaffId, body: StaffUpdate, session: SessionDep) -> StaffPublic:
    return StaffPublic.from_staff(await service.update_staff(session, staff_id, body))


@router.post("/staff/{staff_id}/password", dependencies=manage)
async def reset_password(staff_id: StaffId, body: PasswordReset, session: SessionDep) -> StaffPublic:
    return StaffPublic.from_staff(await service.reset_staff_password(session, staff_id, body.new_password))


@router.get("/audit-logs", dependencies=[Depends(require_permission("audit.read"))])
async def list_audit_logs(
    session: SessionDep,
    staff_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    username: Annotated[str | None, Query(max_length=64, pattern=SINGLE_LINE_PATTERN)] = None,
    action: Annotated[
        str | None,
        Query(max_length=320, pattern=SINGLE_LINE_PATTERN, description="前缀，如 POST /api/admin/v1/staff"),
    ] = None,
    path: Annotated[str | None, Query(max_length=512, pattern=SINGLE_LINE_PATTERN, description="路径前缀")] = None,
    since: Annotated[datetime | None, Query(description="起始时间（含）；不带时区按北京时间")] = None,
    until: Annotated[datetime | None, Query(description="截止时间（不含）；不带时区按北京时间")] = None,
    status_code: Annotated[int | None, Query(ge=100, le=599)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[AuditLogPublic]:
    return await audit.list_audit_logs(
        session,
        staff_id=staff_id,
        username=username,
        action_prefix=action,
        path_prefix=path,
        since=since,
        until=until,
        status_code=status_code,
        cursor=cursor,
        limit=limit,
    )
