"""The demo staff accounts and the private file that tells a new user their passwords.

Passwords are random per seed and never in the source. The file ``<data_dir>/demo-credentials.txt`` is
created with mode 0600 before anything is written into it, and is printed once to the console.
"""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.demo import data
from qingmall.settings import get_settings
from qingmall.staff import service as staff_service
from qingmall.staff.models import Staff
from qingmall.staff.permissions import ROLES

CREDENTIALS_FILE = "demo-credentials.txt"
PASSWORD_LENGTH = 16


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """Random letters and digits (no look-alikes such as 0/O, 1/l), always with both kinds."""
    letters = "".join(c for c in string.ascii_letters if c not in "IlO")
    digits = "23456789"
    alphabet = letters + digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c in digits for c in password) and any(c in letters for c in password):
            return password


async def seed_staff(session: AsyncSession, *, owner: bool) -> list[tuple[str, str, str]]:
    """The demo accounts through ``staff.service.create_staff``: every role but the owner, or the owner
    alone (the seed marker, made last). Existing accounts keep their passwords; returns those created."""
    created: list[tuple[str, str, str]] = []
    for username, role, display_name in data.DEMO_STAFF:
        if (username == data.OWNER_USERNAME) != owner:
            continue
        if await session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
            continue
        password = generate_password()
        await staff_service.create_staff(
            session, username=username, password=password, role=role, display_name=display_name
        )
        created.append((username, role, password))
    return created


def write_credentials(accounts: list[tuple[str, str, str]], *, append: bool = False) -> Path:
    """Write (first seed) or append (a forced re-seed) the new accounts to ``demo-credentials.txt``, 0600.

    The file is created with 0600 before any password is written into it, so it is never readable by
    others even for a moment.
    """
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / CREDENTIALS_FILE
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    descriptor = os.open(path, flags, 0o600)
    os.chmod(path, 0o600)
    with os.fdopen(descriptor, "a" if append else "w", encoding="utf-8") as file:
        file.write(credentials_text(accounts))
    return path


def credentials_text(accounts: list[tuple[str, str, str]]) -> str:
    stamp = clock.to_shanghai(clock.now()).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"# 轻商城演示店铺账号（{stamp} 由 qingmall seed-demo 生成）",
        "# 商家后台登录：POST /api/admin/v1/auth/login  {\"username\": ..., \"password\": ...}",
        "# 请在正式使用前修改或停用这些账号。",
    ]
    if not accounts:
        lines.append("# 本次没有新建账号：演示账号已存在，密码未改变（见本文件之前的记录）。")
    for username, role, password in accounts:
        label = ROLES[role]["label"]
        lines.append(f"{username}\t{password}\t{role}（{label}）")
    lines.append("# 演示顾客：在沙箱微信登录中使用 code demo-<名字>-x，例如 demo-xiaoming-x；名字："
                 + "、".join(f"{p.key}（{p.nickname}）" for p in data.SHOPPERS))
    return "\n".join(lines) + "\n\n"
