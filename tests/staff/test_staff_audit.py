"""The audit log records every admin write automatically (successes and failures), redacts secrets,
never breaks a business response, and can be browsed with filters and cursor pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
from fastapi import APIRouter
from sqlalchemy import select
from structlog.testing import capture_logs

from qingmall.core import clock
from qingmall.staff import audit
from qingmall.staff.models import AuditLog
from tests.factories import make_shopper, make_staff, shopper_headers, staff_headers


async def _logs(db) -> list[AuditLog]:
    async with db.sessionmaker() as s:
        return list((await s.scalars(select(AuditLog).order_by(AuditLog.id))).all())


async def test_successful_write_is_recorded_with_actor_route_and_redacted_body(client, session, db):
    # given an owner
    owner = await make_staff(session, role="owner")
    # when they create a staff account
    response = await client.post(
        "/api/admin/v1/staff",
        headers={**staff_headers(owner), "User-Agent": "console/1.0", "X-Request-ID": "req-abc-123"},
        json={"username": "kefu01", "password": "KefuPassw0rd", "role": "customer_service"},
    )
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "req-abc-123"
    # then exactly one audit row describes it, without the password
    [row] = await _logs(db)
    assert (row.staff_id, row.username, row.role) == (owner.id, owner.username, "owner")
    assert (row.action, row.method, row.path, row.route) == (
        "POST /api/admin/v1/staff", "POST", "/api/admin/v1/staff", "/api/admin/v1/staff",
    )
    assert (row.target_id, row.status_code, row.ip, row.user_agent, row.request_id) == (
        "", 201, "127.0.0.1", "console/1.0", "req-abc-123",
    )
    assert row.body_summary == {"username": "kefu01", "password": "***", "role": "customer_service"}
    assert row.created_at <= clock.now()


async def test_failures_are_recorded_too(client, session, db):
    owner = await make_staff(session, role="owner")
    clerk = await make_staff(session, role="warehouse")
    # 403: a warehouse clerk may not manage staff
    url = f"/api/admin/v1/staff/{owner.id}"
    r403 = await client.patch(url, headers=staff_headers(clerk), json={"role": "warehouse"})
    # 409: the last owner cannot be demoted
    r409 = await client.patch(url, headers=staff_headers(owner), json={"role": "warehouse"})
    # 422: a body that fails validation
    r422 = await client.post("/api/admin/v1/staff", headers=staff_headers(owner), json={"username": "x"})
    # 401: no token at all
    r401 = await client.post("/api/admin/v1/auth/logout")
    assert [r.status_code for r in (r403, r409, r422, r401)] == [403, 409, 422, 401]
    rows = await _logs(db)
    assert [(r.status_code, r.staff_id, r.action, r.target_id) for r in rows] == [
        (403, clerk.id, "PATCH /api/admin/v1/staff/{staff_id}", str(owner.id)),
        (409, owner.id, "PATCH /api/admin/v1/staff/{staff_id}", str(owner.id)),
        (422, owner.id, "POST /api/admin/v1/staff", ""),
        (401, None, "POST /api/admin/v1/auth/logout", ""),
    ]
    assert rows[0].body_summary == {"role": "warehouse"}
    assert rows[2].body_summary == {"username": "x"}
    assert rows[3].body_summary is None


async def test_logins_are_recorded_with_username_and_no_password(client, session, db):
    staff = await make_staff(session, role="operator")
    await client.post("/api/admin/v1/auth/login", json={"username": staff.username, "password": "wrong-password-1"})
    await client.post("/api/admin/v1/auth/login", json={"username": "Ghost", "password": "whatever-123"})
    await client.post("/api/admin/v1/auth/login", json={"username": staff.username, "password": "Passw0rd!23"})
    rows = await _logs(db)
    assert [(r.status_code, r.staff_id, r.username, r.role) for r in rows] == [
        (401, staff.id, staff.username, "operator"),
        (401, None, "ghost", ""),
        (200, staff.id, staff.username, "operator"),
    ]
    assert all(r.body_summary["password"] == "***" for r in rows)
    assert all("wrong-password-1" not in str(r.body_summary) for r in rows)


async def test_a_username_in_an_anonymous_body_is_not_taken_as_the_actor(client, session, db):
    owner = await make_staff(session, role="owner")
    response = await client.post(
        "/api/admin/v1/staff", json={"username": owner.username, "password": "x", "role": "owner"}
    )
    assert response.status_code == 401
    [row] = await _logs(db)
    assert (row.staff_id, row.username, row.role, row.status_code) == (None, "", "", 401)
    assert row.body_summary == {"username": owner.username, "password": "***", "role": "owner"}


async def test_reads_and_shopper_writes_are_not_recorded(client, session, db):
    owner = await make_staff(session, role="owner")
    shopper = await make_shopper(session)
    await client.get("/api/admin/v1/me", headers=staff_headers(owner))
    await client.get("/api/admin/v1/staff", headers=staff_headers(owner))
    await client.post("/api/v1/reviews", headers=shopper_headers(shopper), json={})
    assert await _logs(db) == []


async def test_a_failing_audit_write_is_logged_loudly_but_the_business_answer_stands(
    client, session, db, monkeypatch
):
    owner = await make_staff(session, role="owner")

    async def broken(entry, login_username):
        raise RuntimeError("audit table is gone")

    monkeypatch.setattr(audit, "write_audit_entry", broken)
    with capture_logs() as logs:
        response = await client.post(
            "/api/admin/v1/staff",
            headers=staff_headers(owner),
            json={"username": "kefu09", "password": "KefuPassw0rd", "role": "warehouse"},
        )
    assert response.status_code == 201
    [event] = [e for e in logs if e["event"] == "audit_write_failed"]
    assert event["log_level"] == "error"
    assert (event["method"], event["path"], event["status_code"], event["staff_id"]) == (
        "POST", "/api/admin/v1/staff", 201, owner.id,
    )
    assert event["exc_info"] is True


async def test_unhandled_errors_are_recorded_as_500(app, session, db):
    owner = await make_staff(session, role="owner")
    router = APIRouter(prefix="/api/admin/v1")

    @router.delete("/boom/{thing_id}")
    async def boom(thing_id: int) -> None:
        raise RuntimeError("bug")

    app.include_router(router)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.delete("/api/admin/v1/boom/7", headers=staff_headers(owner))
    assert response.status_code == 500
    [row] = await _logs(db)
    assert (row.status_code, row.action, row.target_id) == (500, "DELETE /api/admin/v1/boom/{thing_id}", "7")


async def test_install_audit_is_idempotent(app, client, session, db):
    audit.install_audit(app)
    audit.install_audit(app)
    owner = await make_staff(session, role="owner")
    await client.post("/api/admin/v1/auth/logout", headers=staff_headers(owner))
    assert len(await _logs(db)) == 1


def test_redaction_covers_secrets_at_any_depth_and_caps_size():
    body = {
        "username": "a",
        "password": "p",
        "new_password": "p",
        "Access_Token": "t",
        "client_secret": "s",
        "code": "123456",
        "sms_code": "654321",
        "carrier_code": "SF",
        "nested": {"items": [{"refresh_token": "t", "qty": 1}]},
        "long": "长" * 300,
        "many": list(range(25)),
    }
    cleaned = audit.redact(body)
    assert cleaned["username"] == "a"
    for key in ("password", "new_password", "Access_Token", "client_secret", "code", "sms_code"):
        assert cleaned[key] == "***", key
    assert cleaned["carrier_code"] == "SF"
    assert cleaned["nested"] == {"items": [{"refresh_token": "***", "qty": 1}]}
    assert cleaned["long"] == "长" * 200 + "…"
    assert cleaned["many"] == [*range(20), "…（共 25 项）"]


def test_body_summaries_for_odd_bodies():
    assert audit.summarise_body(b"", content_type="application/json", total_bytes=0) is None
    assert audit.summarise_body(b"{bad", content_type="application/json", total_bytes=4) == {
        "_invalid_json": True, "_bytes": 4,
    }
    assert audit.summarise_body(b"xx", content_type="multipart/form-data; boundary=z", total_bytes=2048) == {
        "_content_type": "multipart/form-data; boundary=z", "_bytes": 2048,
    }
    assert audit.summarise_body(b'{"a":', content_type="application/json", total_bytes=10**6) == {
        "_content_type": "application/json", "_bytes": 10**6, "_truncated": True,
    }
    big = b'{"items": [' + b",".join(b'"' + b"x" * 150 + b'"' for _ in range(20)) + b"]}"
    summary = audit.summarise_body(big, content_type="application/json", total_bytes=len(big))
    assert summary["_truncated"] is True
    assert len(summary["_preview"]) == audit.SUMMARY_MAX_CHARS
    assert audit.summarise_body(b"[1, 2]", content_type="application/json", total_bytes=6) == {"_body": [1, 2]}


def test_route_template_falls_back_to_rebuilding_from_the_route_suffix():
    scope = {"path": "/api/admin/v1/reviews/5/hide", "route": SimpleNamespace(path="/reviews/{review_id}/hide")}
    assert audit.route_template(scope) == "/api/admin/v1/reviews/{review_id}/hide"
    assert audit.route_template({"path": "/api/admin/v1/nope"}) == ""


async def test_audit_log_browsing_filters_and_pages(client, session, db):
    # given some history over three days
    owner = await make_staff(session, role="owner")
    operator = await make_staff(session, role="operator")
    clock.advance(datetime(2026, 4, 1, 2, 0, tzinfo=UTC) - clock.now())  # 10:00 Beijing, April 1st
    await client.post("/api/admin/v1/auth/logout", headers=staff_headers(operator))
    clock.advance(timedelta(days=1))
    for i in range(3):
        await client.post(
            "/api/admin/v1/staff",
            headers=staff_headers(owner),
            json={"username": f"clerk{i}", "password": "ClerkPassw0rd", "role": "warehouse"},
        )
    clock.advance(timedelta(days=1))
    await client.patch(
        f"/api/admin/v1/staff/{operator.id}", headers=staff_headers(owner), json={"display_name": "运营"}
    )
    await session.refresh(operator)
    await session.commit()  # end the test session's read so SQLite's lock is free
    headers = staff_headers(operator)
    url = "/api/admin/v1/audit-logs"
    # newest first, cursor pages of 2
    first = (await client.get(url, headers=headers, params={"limit": 2})).json()
    assert [i["action"] for i in first["items"]] == [
        "PATCH /api/admin/v1/staff/{staff_id}", "POST /api/admin/v1/staff",
    ]
    second = (await client.get(url, headers=headers, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    third = (await client.get(url, headers=headers, params={"limit": 2, "cursor": second["next_cursor"]})).json()
    assert len(second["items"]) == 2 and third["next_cursor"] is None
    all_ids = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert len(all_ids) == 5 and all_ids == sorted(all_ids, reverse=True)
    # filters: staff, action prefix, path prefix, date range (naive = Beijing time), status
    by_staff = (await client.get(url, headers=headers, params={"staff_id": operator.id})).json()["items"]
    assert [i["action"] for i in by_staff] == ["POST /api/admin/v1/auth/logout"]
    by_action = (await client.get(url, headers=headers, params={"action": "POST /api/admin/v1/staff"})).json()
    assert [i["body_summary"]["username"] for i in by_action["items"]] == ["clerk2", "clerk1", "clerk0"]
    by_path = (await client.get(url, headers=headers, params={"path": f"/api/admin/v1/staff/{operator.id}"})).json()
    assert [i["target_id"] for i in by_path["items"]] == [str(operator.id)]
    april_2 = {"since": "2026-04-02T00:00:00", "until": "2026-04-03T00:00:00"}
    by_day = (await client.get(url, headers=headers, params=april_2)).json()["items"]
    assert len(by_day) == 3
    by_day_utc = (await client.get(url, headers=headers, params={"since": "2026-04-03T00:00:00Z"})).json()["items"]
    assert [i["action"] for i in by_day_utc] == ["PATCH /api/admin/v1/staff/{staff_id}"]
    by_status = (await client.get(url, headers=headers, params={"status_code": 201})).json()["items"]
    assert len(by_status) == 3
    # bad input is a 4xx
    assert (await client.get(url, headers=headers, params={"cursor": "%%%"})).status_code == 422
    assert (await client.get(url, headers=headers, params={"limit": 101})).status_code == 422
    assert (await client.get(url, headers=headers, params={"since": "yesterday"})).status_code == 422


async def test_audit_log_needs_audit_read(client, session):
    for role, status in (("owner", 200), ("operator", 200), ("customer_service", 403), ("warehouse", 403)):
        staff = await make_staff(session, role=role)
        response = await client.get("/api/admin/v1/audit-logs", headers=staff_headers(staff))
        assert response.status_code == status, role
