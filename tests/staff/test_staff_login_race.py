"""A login that loses a race gets the winner's answer, never a 500.

``log_in`` verifies the password outside any transaction, then claims the login with a conditional UPDATE
(still active, not locked, same hash). If the account was locked, deactivated or given a new password in
between, that UPDATE matches nothing; the session rolls back (which expires the loaded row) and the row is
read again to say why. The race is made deterministic by committing the competing change from another
session right after argon2 has run in its worker thread.
"""

from __future__ import annotations

from datetime import timedelta

import anyio.to_thread
import pytest
from sqlalchemy import update

from qingmall.core import clock
from qingmall.core.security import hash_password
from qingmall.staff import service
from qingmall.staff.models import Staff
from tests.factories import make_staff

LOGIN = "/api/admin/v1/auth/login"
PASSWORD = "Passw0rd!23"


def _locked() -> dict:
    return {"failed_login_count": 5, "locked_until": clock.now() + timedelta(minutes=15)}


def _deactivated() -> dict:
    return {"is_active": False, "token_version": Staff.token_version + 1}


def _password_reset() -> dict:
    return {"password_hash": hash_password("AnotherPassw0rd"), "token_version": Staff.token_version + 1}


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (_locked, 423, "account_locked"),
        (_deactivated, 403, "account_disabled"),
        (_password_reset, 401, "invalid_credentials"),
    ],
    ids=["locked", "deactivated", "password_reset"],
)
async def test_a_login_that_loses_a_race_gets_the_winners_answer(
    client, session, db, monkeypatch, change, status, code
):
    # given an account, and another session that changes it right after the login has verified the password
    staff = await make_staff(session)
    real_run_sync = anyio.to_thread.run_sync
    verified: list[bool] = []

    async def verify_then_change(func, *args, **kwargs):
        result = await real_run_sync(func, *args, **kwargs)
        if func is service.verify_password:
            verified.append(result)
            values = change()
            async with db.sessionmaker() as other:
                await other.execute(update(Staff).where(Staff.id == staff.id).values(**values))
                await other.commit()
        return result

    monkeypatch.setattr(anyio.to_thread, "run_sync", verify_then_change)
    # when the right password is given
    response = await client.post(LOGIN, json={"username": staff.username, "password": PASSWORD})
    # then the password was accepted, but the competing change decides the answer
    assert verified == [True]
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    async with db.sessionmaker() as s:
        after = await s.get(Staff, staff.id)
    # and the losing login wrote nothing over the winner's change
    assert after.last_login_at is None
    if code == "account_locked":
        assert after.failed_login_count == 5
        assert response.json()["details"] == {"locked_until": after.locked_until.isoformat()}
        assert response.json()["message"].startswith("登录失败次数过多，账号已锁定至 ")
