"""Staff accounts: creation, login with lockout, logout, passwords, roles.

Invariants:
- A username is 3-32 of ``[a-z0-9_.-]``, stored lower-case and unique (the unique index settles races).
- A password has at least 10 characters with both letters and digits and is stored as an argon2 hash.
  argon2 runs in a worker thread and never inside an open database transaction: on SQLite every
  transaction holds the write lock, so hashing inside one would stall every other writer of the shop.
- Failed logins are counted by one conditional UPDATE (``failed_login_count + 1`` under a ``WHERE`` that
  excludes locked accounts), so concurrent wrong guesses are never lost and the count stops at the limit.
  Unknown usernames cost the same argon2 verification and get the same answer as a wrong password.
- ``token_version`` is bumped on logout, password change/reset and deactivation; ``deps.get_current_staff``
  rejects tokens carrying an older version, so all earlier sessions end at once.
- There is always at least one active owner: demoting or deactivating the last one is refused under a
  row lock on the owner rows, so two owners demoting each other concurrently cannot both succeed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import anyio
from sqlalchemy import and_, case, literal, null, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.db import UTCDateTime
from qingmall.core.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from qingmall.core.security import hash_password, issue_token, verify_password
from qingmall.settings import get_settings
from qingmall.staff.models import Staff
from qingmall.staff.permissions import ROLES
from qingmall.staff.schemas import LoginResult, RolePublic, StaffPublic, StaffUpdate

OWNER = "owner"
_USERNAME = re.compile(r"^[a-z0-9_.-]{3,32}$")
PASSWORD_MIN = 10
PASSWORD_MAX = 128
PASSWORD_RULE = f"密码至少 {PASSWORD_MIN} 位，且必须同时包含字母和数字"


class AccountLocked(AppError):
    """Too many wrong passwords in a row; the message says until when (Beijing time)."""

    status_code = 423
    code = "account_locked"


def normalize_username(username: str) -> str:
    """The stored form of a username: trimmed and lower-case."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """Return the normalised username or raise ``InvalidInput`` with a message people understand."""
    name = normalize_username(username)
    if not _USERNAME.fullmatch(name):
        raise InvalidInput(
            "用户名须为 3-32 位，只能包含字母、数字、下划线、点和连字符", code="invalid_username"
        )
    return name


def check_password(password: str, username: str = "") -> None:
    """The password policy: 10-128 characters, at least one ASCII letter and one digit, not the username."""
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(f"密码不能超过 {PASSWORD_MAX} 位", code="weak_password")
    has_letter = any("a" <= c.lower() <= "z" for c in password)
    has_digit = any(c.isdigit() for c in password)
    if len(password) < PASSWORD_MIN or not has_letter or not has_digit:
        raise InvalidInput(PASSWORD_RULE, code="weak_password")
    if username and password.lower() == username.lower():
        raise InvalidInput("密码不能与用户名相同", code="weak_password")


def check_role(role: str) -> str:
    if role not in ROLES:
        names = "、".join(f"{name}（{entry['label']}）" for name, entry in ROLES.items())
        raise InvalidInput(f"角色不存在，可选：{names}", code="unknown_role")
    return role


def check_display_name(display_name: str) -> str:
    name = display_name.strip()
    if len(name) > 64:
        raise InvalidInput("显示名称不能超过 64 个字符", code="invalid_display_name")
    return name


def list_roles() -> list[RolePublic]:
    return [RolePublic.from_role(name) for name in ROLES]


def _locked_error(until: datetime) -> AccountLocked:
    local = clock.to_shanghai(until)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return AccountLocked(
        f"登录失败次数过多，账号已锁定至 {local:%Y-%m-%d %H:%M}（北京时间），请稍后再试或联系店主",
        details={"locked_until": until.isoformat()},
    )


def _invalid_credentials() -> Unauthorized:
    return Unauthorized("用户名或密码错误", code="invalid_credentials")


def _issue(staff_id: int, token_version: int) -> tuple[str, int]:
    minutes = get_settings().staff_token_minutes
    token = issue_token(
        staff_id,
        audience="staff",
        token_type="access",
        ttl=timedelta(minutes=minutes),
        extra={"ver": token_version},
    )
    return token, minutes * 60


def _not_locked(now: datetime):
    return or_(Staff.locked_until.is_(None), Staff.locked_until <= now)


async def get_staff(session: AsyncSession, staff_id: int) -> Staff:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("员工不存在", code="staff_not_found")
    return staff


async def create_staff(
    session: AsyncSession, *, username: str, password: str, role: str, display_name: str = ""
) -> Staff:
    """Create a staff account (commits). 422 on a bad username/password/role, 409 if the name is taken."""
    name = check_username(username)
    check_password(password, name)
    check_role(role)
    display = check_display_name(display_name)
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
    if await session.scalar(select(Staff.id).where(Staff.username == name)) is not None:
        raise Conflict(f"用户名 {name} 已被使用", code="username_taken")
    staff = Staff(username=name, display_name=display, password_hash=password_hash, role=role)
    session.add(staff)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"用户名 {name} 已被使用", code="username_taken") from exc
    return staff


async def _record_failed_login(session: AsyncSession, staff_id: int) -> datetime | None:
    """Count one wrong password atomically (commits); return ``locked_until`` if the account is now locked.

    One statement does the whole job, so 20 concurrent wrong guesses add exactly up to the limit: the
    ``WHERE`` excludes a locked account (PostgreSQL re-checks it after waiting on the row lock), and an
    expired lock starts a fresh count at 1.
    """
    settings = get_settings()
    now = clock.now()
    limit = settings.staff_max_failed_logins
    expired = and_(Staff.locked_until.is_not(None), Staff.locked_until <= now)
    next_count = case((expired, 1), else_=Staff.failed_login_count + 1)
    if limit > 0:
        until = now + timedelta(minutes=settings.staff_lockout_minutes)
        next_lock = case((next_count >= limit, literal(until, UTCDateTime())), else_=null())
    else:
        next_lock = null()
    statement = (
        update(Staff)
        .where(Staff.id == staff_id, _not_locked(now))
        .values(failed_login_count=next_count, locked_until=next_lock)
        .returning(Staff.locked_until)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        current = await session.scalar(select(Staff.locked_until).where(Staff.id == staff_id))
        await session.commit()
        return current
    await session.commit()
    return row.locked_until


async def log_in(session: AsyncSession, *, username: str, password: str) -> LoginResult:
    """Check a username and password and issue a staff access token.

    Order matters: a locked account is refused before any hashing; the read transaction is ended
    before argon2; a wrong password is counted (and may lock); the success UPDATE is conditional on the
    account still being active, unlocked and having the very hash that was verified, so a concurrent
    lock, deactivation or password reset wins over an in-flight login.
    """
    name = normalize_username(username)
    staff = await session.scalar(select(Staff).where(Staff.username == name))
    now = clock.now()
    if staff is not None and staff.locked_until is not None and staff.locked_until > now:
        raise _locked_error(staff.locked_until)
    password_hash = staff.password_hash if staff is not None else None
    await session.commit()  # end the read transaction: argon2 must not run while holding SQLite's lock
    valid = await anyio.to_thread.run_sync(verify_password, password, password_hash)
    if staff is None:
        raise _invalid_credentials()
    if not valid:
        until = await _record_failed_login(session, staff.id)
        if until is not None and until > clock.now():
            raise _locked_error(until)
        raise _invalid_credentials()
    if not staff.is_active:
        raise Forbidden("账号已停用，请联系店主", code="account_disabled")
    staff_id = staff.id  # a rollback expires ``staff``; reading it afterwards would lazy-load (MissingGreenlet)
    now = clock.now()
    row = (
        await session.execute(
            update(Staff)
            .where(
                Staff.id == staff_id,
                Staff.is_active == true(),
                Staff.password_hash == password_hash,
                _not_locked(now),
            )
            .values(failed_login_count=0, locked_until=None, last_login_at=now)
            .returning(Staff.token_version)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None:
        await session.rollback()
        current = await get_staff(session, staff_id)  # re-read: the row changed under us
        if current.locked_until is not None and current.locked_until > now:
            raise _locked_error(current.locked_until)
        if not current.is_active:
            raise Forbidden("账号已停用，请联系店主", code="account_disabled")
        raise _invalid_credentials()
    await session.commit()
    await session.refresh(staff)
    token, expires_in = _issue(staff.id, row.token_version)
    return LoginResult(access_token=token, expires_in=expires_in, staff=StaffPublic.from_staff(staff))


async def log_out(session: AsyncSession, staff: Staff) -> None:
    """End every session of ``staff`` (commits): all tokens issued so far stop working."""
    await session.execute(
        update(Staff)
        .where(Staff.id == staff.id)
        .values(token_version=Staff.token_version + 1)
        .execution_options(synchronize_session=False)
    )
    await session.commit()


async def change_own_password(
    session: AsyncSession, staff: Staff, *, old_password: str, new_password: str
) -> LoginResult:
    """Change one's own password (commits); every other session ends and a fresh token is returned."""
    check_password(new_password, staff.username)
    old_hash = staff.password_hash
    await session.commit()  # end the read transaction before argon2
    if not await anyio.to_thread.run_sync(verify_password, old_password, old_hash):
        raise InvalidInput("原密码不正确", code="wrong_password")
    if old_password == new_password:
        raise InvalidInput("新密码不能与原密码相同", code="password_unchanged")
    new_hash = await anyio.to_thread.run_sync(hash_password, new_password)
    row = (
        await session.execute(
            update(Staff)
            .where(Staff.id == staff.id, Staff.password_hash == old_hash)
            .values(password_hash=new_hash, token_version=Staff.token_version + 1)
            .returning(Staff.token_version)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None:
        await session.rollback()
        raise Conflict("密码已被修改，请重新登录", code="password_changed")
    await session.commit()
    await session.refresh(staff)
    token, expires_in = _issue(staff.id, row.token_version)
    return LoginResult(access_token=token, expires_in=expires_in, staff=StaffPublic.from_staff(staff))


async def list_staff(session: AsyncSession) -> list[Staff]:
    return list((await session.scalars(select(Staff).order_by(Staff.id))).all())


async def _ensure_another_active_owner(session: AsyncSession, staff_id: int) -> None:
    """Raise 409 unless an active owner other than ``staff_id`` remains. Does not commit.

    Locks the active owner rows (id order) so concurrent demotions serialise; PostgreSQL re-checks the
    ``WHERE`` of rows it waited on, so an owner demoted meanwhile no longer counts. SQLite serialises
    writers with ``BEGIN IMMEDIATE`` anyway.
    """
    owners = (
        await session.scalars(
            select(Staff.id)
            .where(Staff.role == OWNER, Staff.is_active == true())
            .order_by(Staff.id)
            .with_for_update()
        )
    ).all()
    if not [owner_id for owner_id in owners if owner_id != staff_id]:
        raise Conflict("至少需要保留一位在职的店主，不能停用或降级最后一位店主", code="last_owner")


async def update_staff(session: AsyncSession, staff_id: int, data: StaffUpdate) -> Staff:
    """Change role, display name or active flag (commits). Deactivation ends the account's sessions."""
    staff = await get_staff(session, staff_id)
    if data.role is not None:
        check_role(data.role)
    display = check_display_name(data.display_name) if data.display_name is not None else None
    leaves_owners = (data.role is not None and data.role != OWNER) or data.is_active is False
    if staff.role == OWNER and staff.is_active and leaves_owners:
        await _ensure_another_active_owner(session, staff.id)
        await session.refresh(staff)
    if display is not None:
        staff.display_name = display
    if data.role is not None:
        staff.role = data.role
    if data.is_active is not None and data.is_active != staff.is_active:
        staff.is_active = data.is_active
        if not data.is_active:
            staff.token_version = Staff.token_version + 1
    await session.commit()
    await session.refresh(staff)
    return staff


async def reset_staff_password(session: AsyncSession, staff_id: int, new_password: str) -> Staff:
    """Set a new password for someone (commits): ends their sessions and lifts any lockout."""
    staff = await get_staff(session, staff_id)
    check_password(new_password, staff.username)
    await session.commit()  # end the read transaction before argon2
    new_hash = await anyio.to_thread.run_sync(hash_password, new_password)
    await session.execute(
        update(Staff)
        .where(Staff.id == staff_id)
        .values(
            password_hash=new_hash,
            token_version=Staff.token_version + 1,
            failed_login_count=0,
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    await session.refresh(staff)
    return staff

