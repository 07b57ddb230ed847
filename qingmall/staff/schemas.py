"""Request and response shapes of the staff area (login, accounts, roles, audit log).

Input bounds here are hard caps against abuse (a 1 MB password would cost argon2 dearly); the exact rules
(username characters, password policy) live in ``staff.service`` so the CLI gets the same Chinese messages.
Names refuse control characters here (PostgreSQL cannot store NUL: it must be a 422, not a 500).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from qingmall.core import clock
from qingmall.core.text import single_line
from qingmall.staff.models import AuditLog, Staff
from qingmall.staff.permissions import PERMISSIONS, ROLES, role_permissions

PASSWORD_MAX = 128


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能包含控制字符")
    return value


# Passwords are taken as typed (never stripped; other characters are the password policy's business in
# ``staff.service``), but NUL is refused: nothing types it and it only ever arrives as an attack probe.
Password = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX), AfterValidator(_no_nul)]
Username = single_line(64, min_length=1)
DisplayName = single_line(64)
RoleName = single_line(32, min_length=1)


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password
    role: RoleName
    display_name: DisplayName = ""


class StaffUpdate(BaseModel):
    """Only the fields given change; ``None`` means "leave as is"."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    role: RoleName | None = None
    is_active: bool | None = None


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_password: Password


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    old_password: Password
    new_password: Password


class PermissionPublic(BaseModel):
    code: str
    label: str


class RolePublic(BaseModel):
    name: str
    label: str
    permissions: list[PermissionPublic]

    @classmethod
    def from_role(cls, name: str) -> RolePublic:
        granted = role_permissions(name)
        return cls(
            name=name,
            label=str(ROLES[name]["label"]),
            permissions=[
                PermissionPublic(code=code, label=label) for code, label in PERMISSIONS.items() if code in granted
            ],
        )


class StaffPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    permissions: list[str]
    is_active: bool
    is_locked: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime

    @classmethod
    def from_staff(cls, staff: Staff) -> StaffPublic:
        locked = staff.locked_until is not None and staff.locked_until > clock.now()
        role = ROLES.get(staff.role)
        return cls(
            id=staff.id,
            username=staff.username,
            display_name=staff.display_name,
            role=staff.role,
            role_label=str(role["label"]) if role else staff.role,
            permissions=sorted(role_permissions(staff.role)),
            is_active=staff.is_active,
            is_locked=locked,
            locked_until=staff.locked_until if locked else None,
            last_login_at=staff.last_login_at,
            created_at=staff.created_at,
        )


class LoginResult(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    staff: StaffPublic


class AuditLogPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    staff_id: int | None
    username: str
    role: str
    action: str
    method: str
    path: str
    route: str
    target_id: str
    status_code: int
    ip: str
    user_agent: str
    request_id: str
    body_summary: dict[str, Any] | None
    created_at: datetime

    @classmethod
    def from_log(cls, log: AuditLog) -> AuditLogPublic:
        return cls.model_validate(log)
