"""Control characters never reach the database.

SQLite would store a NUL in a name; PostgreSQL refuses it and the request used to end in a 500 (for the
unauthenticated staff login too, whose audit row was then lost). Every free-text input of the staff,
inventory, shipping, reviews and shoppers areas now refuses them with a 422 ``invalid_input`` naming the
field, on both databases. Anything a schema still misses is caught at the edge: a database ``DataError``
becomes a 422 and is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg.errors
import pytest
from fastapi import APIRouter
from sqlalchemy import func, literal, select, text
from sqlalchemy.exc import DataError
from structlog.testing import capture_logs

from qingmall.catalog.models import Sku
from qingmall.core.db import SessionDep
from qingmall.inventory.models import StockMovement
from qingmall.reviews.models import Review
from qingmall.shipping.models import ShippingTemplate
from qingmall.shoppers.models import Address, Shopper
from qingmall.staff.models import AuditLog, Staff
from tests.factories import make_product, make_shopper, make_staff, shopper_headers, staff_headers
from tests.reviews.review_helpers import make_order_line, make_review, photo_url
from tests.shoppers.shoppers_testkit import HANGZHOU_XIHU, wire_partners

ADMIN = "/api/admin/v1"
PASSWORD = "Passw0rd!23"
NUL, BELL = "\x00", "\x07"


def splice(valid: str, bad: str) -> str:
    """``valid`` with ``bad`` inside it: the value passes every other rule, so only the character can fail it."""
    return valid[:1] + bad + valid[1:]


@dataclass(frozen=True)
class Case:
    """One free-text input: where it goes, a value it accepts, and the ``details[].field`` a refusal names."""

    label: str
    method: str
    url: str
    field: str
    valid: str
    body: Callable[[str], Any] | None = None
    query: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    secret: bool = False  # passwords are taken as typed: only NUL is refused by the schema

    def values(self) -> list[str]:
        values = ["a\x00b", splice(self.valid, NUL), BELL]
        if not self.secret:
            values.append(splice(self.valid, BELL))
        return values

    def request(self, value: str) -> dict[str, Any]:
        options: dict[str, Any] = {"headers": self.headers}
        if self.body is not None:
            options["json"] = self.body(value)
        if self.query is not None:
            options["params"] = {self.query: value}
        return options


@dataclass
class World:
    owner: Staff
    colleague: Staff
    shopper: Shopper
    sku_id: int
    order_line_id: int
    review_id: int
    address_id: int
    template_id: int


def template_body(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "charge_by": "piece",
        "default_rule": {"first_units": 1, "first_fee": 800, "additional_units": 1, "additional_fee": 200},
    }


def address_body(**overrides: Any) -> dict[str, Any]:
    return {"recipient_name": "张三", "phone": "13812345678", "detail": "文三路 100 号 3 幢 201", **HANGZHOU_XIHU,
            **overrides}


async def build_world(app, client: httpx.AsyncClient, session) -> World:
    wire_partners(app)
    owner = await make_staff(session, role="owner")
    colleague = await make_staff(session, role="operator")
    shopper = await make_shopper(session, nickname="小明")
    spu = await make_product(session)
    sku_id = await session.scalar(select(Sku.id).where(Sku.spu_id == spu.id))
    line = await make_order_line(session, shopper, spu)
    review = await make_review(session, shopper, spu, content="不错")
    address = await client.post("/api/v1/addresses", json=address_body(), headers=shopper_headers(shopper))
    assert address.status_code == 201, address.text
    owner_headers = staff_headers(owner)
    template = await client.post(f"{ADMIN}/shipping-templates", json=template_body("按件"), headers=owner_headers)
    assert template.status_code == 201, template.text
    return World(owner, colleague, shopper, sku_id, line.id, review.id, address.json()["id"], template.json()["id"])


def cases(w: World) -> list[Case]:
    owner, me = staff_headers(w.owner), shopper_headers(w.shopper)
    new_staff = {"username": "kefu01", "password": "KefuPassw0rd1", "role": "operator", "display_name": "客服"}
    return [
        # staff: login (anonymous), accounts, passwords, audit-log filters
        Case("login username", "POST", f"{ADMIN}/auth/login", "username", w.owner.username,
             body=lambda v: {"username": v, "password": PASSWORD}),
        Case("login password", "POST", f"{ADMIN}/auth/login", "password", PASSWORD, secret=True,
             body=lambda v: {"username": w.colleague.username, "password": v}),
        Case("new staff username", "POST", f"{ADMIN}/staff", "username", "kefu01", headers=owner,
             body=lambda v: {**new_staff, "username": v}),
        Case("new staff display name", "POST", f"{ADMIN}/staff", "display_name", "客服小王", headers=owner,
             body=lambda v: {**new_staff, "display_name": v}),
        Case("new staff role", "POST", f"{ADMIN}/staff", "role", "operator", headers=owner,
             body=lambda v: {**new_staff, "role": v}),
        Case("new staff password", "POST", f"{ADMIN}/staff", "password", "KefuPassw0rd1", headers=owner, secret=True,
             body=lambda v: {**new_staff, "password": v}),
        Case("staff display name", "PATCH", f"{ADMIN}/staff/{w.colleague.id}", "display_name", "运营小李",
             headers=owner, body=lambda v: {"display_name": v}),
        Case("staff role", "PATCH", f"{ADMIN}/staff/{w.colleague.id}", "role", "operator", headers=owner,
             body=lambda v: {"role": v}),
        Case("password reset", "POST", f"{ADMIN}/staff/{w.colleague.id}/password", "new_password", "NewPassw0rd99",
             headers=owner, secret=True, body=lambda v: {"new_password": v}),
        Case("audit username filter", "GET", f"{ADMIN}/audit-logs", "username", w.owner.username, headers=owner,
             query="username"),
        Case("audit action filter", "GET", f"{ADMIN}/audit-logs", "action", "POST /api/admin/v1/staff",
             headers=owner, query="action"),
        Case("audit path filter", "GET", f"{ADMIN}/audit-logs", "path", "/api/admin/v1/staff", headers=owner,
             query="path"),
        # inventory and shipping
        Case("stock adjustment note", "POST", f"{ADMIN}/skus/{w.sku_id}/stock-adjustments", "note", "到货",
             headers=owner, body=lambda v: {"delta": 1, "reason": "adjust_in", "note": v}),
        Case("new shipping template name", "POST", f"{ADMIN}/shipping-templates", "name", "偏远地区",
             headers=owner, body=template_body),
        Case("shipping template name", "PUT", f"{ADMIN}/shipping-templates/{w.template_id}", "name", "偏远地区",
             headers=owner, body=template_body),
        # reviews: shopper and merchant
        Case("review content", "POST", "/api/v1/reviews", "content", "质量很好", headers=me,
             body=lambda v: {"order_line_id": w.order_line_id, "rating": 5, "content": v}),
        Case("review photo", "POST", "/api/v1/reviews", "photos.0", photo_url(1), headers=me,
             body=lambda v: {"order_line_id": w.order_line_id, "rating": 5, "photos": [v]}),
        Case("follow-up content", "POST", f"/api/v1/reviews/{w.review_id}/follow-up", "content", "用了一周还不错",
             headers=me, body=lambda v: {"content": v}),
        Case("follow-up photo", "POST", f"/api/v1/reviews/{w.review_id}/follow-up", "photos.0", photo_url(2),
             headers=me, body=lambda v: {"photos": [v]}),
        Case("merchant reply", "PUT", f"{ADMIN}/reviews/{w.review_id}/reply", "content", "感谢支持", headers=owner,
             body=lambda v: {"content": v}),
        Case("hide reason", "POST", f"{ADMIN}/reviews/{w.review_id}/hide", "reason", "含广告", headers=owner,
             body=lambda v: {"reason": v}),
        # shoppers: login, profile, addresses, admin search
        Case("wechat login code", "POST", "/api/v1/auth/wechat-login", "code", "demo-amy",
             body=lambda v: {"code": v}),
        Case("wechat login nickname", "POST", "/api/v1/auth/wechat-login", "nickname", "小爱",
             body=lambda v: {"code": "demo-amy", "nickname": v}),
        Case("wechat login avatar", "POST", "/api/v1/auth/wechat-login", "avatar_url", "https://img.example.com/a.png",
             body=lambda v: {"code": "demo-amy", "avatar_url": v}),
        Case("sms phone", "POST", "/api/v1/auth/sms-code", "phone", "13812345678", body=lambda v: {"phone": v}),
        Case("sms code", "POST", "/api/v1/auth/sms-login", "code", "123456",
             body=lambda v: {"phone": "13812345678", "code": v}),
        Case("refresh token", "POST", "/api/v1/auth/refresh", "refresh_token", "a.b.c",
             body=lambda v: {"refresh_token": v}),
        Case("phone binding code", "POST", "/api/v1/auth/phone", "code", "demo-phone", headers=me,
             body=lambda v: {"code": v}),
        Case("nickname", "PATCH", "/api/v1/me", "nickname", "小明明", headers=me, body=lambda v: {"nickname": v}),
        Case("avatar", "PATCH", "/api/v1/me", "avatar_url", "https://img.example.com/b.png", headers=me,
             body=lambda v: {"avatar_url": v}),
        Case("new address recipient", "POST", "/api/v1/addresses", "recipient_name", "李四", headers=me,
             body=lambda v: address_body(recipient_name=v)),
        Case("new address detail", "POST", "/api/v1/addresses", "detail", "文一路 1 号", headers=me,
             body=lambda v: address_body(detail=v)),
        Case("new address tag", "POST", "/api/v1/addresses", "tag", "公司", headers=me,
             body=lambda v: address_body(tag=v)),
        Case("address recipient", "PATCH", f"/api/v1/addresses/{w.address_id}", "recipient_name", "李四",
             headers=me, body=lambda v: {"recipient_name": v}),
        Case("address detail", "PATCH", f"/api/v1/addresses/{w.address_id}", "detail", "文一路 1 号", headers=me,
             body=lambda v: {"detail": v}),
        Case("address tag", "PATCH", f"/api/v1/addresses/{w.address_id}", "tag", "家", headers=me,
             body=lambda v: {"tag": v}),
        Case("shopper search", "GET", f"{ADMIN}/shoppers", "q", "小明", headers=owner, query="q"),
        # last: were one of these accepted, the owner's token would stop working for the cases after it
        Case("own old password", "POST", f"{ADMIN}/me/password", "old_password", PASSWORD, headers=owner, secret=True,
             body=lambda v: {"old_password": v, "new_password": "NewPassw0rd99"}),
        Case("own new password", "POST", f"{ADMIN}/me/password", "new_password", "NewPassw0rd99", headers=owner,
             secret=True, body=lambda v: {"old_password": PASSWORD, "new_password": v}),
    ]


def problem(case: Case, value: str, response: httpx.Response) -> str | None:
    """Why this answer is wrong, or ``None``: a 4xx ``{"code", "message"}``; a 422 on the field when refused."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not (400 <= response.status_code < 500 and isinstance(body, dict)):
        return f"{response.status_code} {response.text[:200]}"
    if not (isinstance(body.get("code"), str) and body["code"] and isinstance(body.get("message"), str)):
        return f"no code/message: {body}"
    if case.secret and NUL not in value:
        return None  # a password with a bell in it is just a wrong or weak password
    fields = [detail.get("field") for detail in body.get("details") or [] if isinstance(detail, dict)]
    if (response.status_code, body["code"]) != (422, "invalid_input") or case.field not in fields:
        return f"{response.status_code} {body}"
    return None


async def test_every_free_text_input_refuses_control_characters(app, session, db):
    # given a shop with staff, a shopper with an address and a review, a product and a shipping template
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        world = await build_world(app, client, session)
        counts_before = await _counts(db)
        # when NUL and BEL are sent into each free-text input, alone and inside an otherwise valid value
        problems = []
        for case in cases(world):
            for value in case.values():
                response = await client.request(case.method, case.url, **case.request(value))
                if (why := problem(case, value, response)) is not None:
                    problems.append(f"{case.label} {value!r}: {why}")
    # then every one is a 4xx with code and message, a 422 naming the field whenever the schema refuses it
    assert problems == []
    # and nothing was stored or changed
    assert await _counts(db) == counts_before
    async with db.sessionmaker() as s:
        colleague = await s.get(Staff, world.colleague.id)
        review = await s.get(Review, world.review_id)
        shopper = await s.get(Shopper, world.shopper.id)
        address = await s.get(Address, world.address_id)
        template = await s.get(ShippingTemplate, world.template_id)
    assert (colleague.display_name, colleague.role) == (world.colleague.display_name, "operator")
    assert (review.follow_up_content, review.reply_content, review.is_hidden) == ("", "", False)
    assert shopper.nickname == "小明"
    assert (address.recipient_name, address.detail, address.tag) == ("张三", "文三路 100 号 3 幢 201", "")
    assert template.name == "按件"


async def _counts(db) -> dict[str, int]:
    async with db.sessionmaker() as s:
        return {
            model.__tablename__: await s.scalar(select(func.count()).select_from(model))
            for model in (Staff, Shopper, Review, Address, ShippingTemplate, StockMovement)
        }


async def test_login_with_a_nul_in_the_username_is_a_422_and_is_audited(client, session, db, request):
    # given an account
    staff = await make_staff(session)
    # when someone tries to log in with a NUL in the username
    response = await client.post(f"{ADMIN}/auth/login", json={"username": f"{staff.username}\x00x", "password": "x"})
    # then it is refused at the edge, like any malformed input, and no login is counted
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["details"][0]["field"] == "username"
    async with db.sessionmaker() as s:
        assert (await s.get(Staff, staff.id)).failed_login_count == 0
        # and the attempt is in the audit log
        rows = (await s.scalars(select(AuditLog))).all()
    assert [(row.action, row.status_code, row.staff_id) for row in rows] == [
        ("POST /api/admin/v1/auth/login", 422, None)
    ]


# --- the backstop: a value the database itself refuses ----------------------------------------------------


def _backstop_route(app, db) -> None:
    """A test-only route that stores whatever the database refuses. On SQLite (which stores NUL happily and has
    no such errors) it raises the ``DataError`` psycopg would have produced, wrapped as SQLAlchemy wraps it."""
    router = APIRouter(prefix="/api/v1/test-only")
    statements = {
        "nul": (select(literal("a\x00b")), psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")),
        "bad_bytes": (
            text(r"SELECT convert_from('\xff'::bytea, 'UTF8')"),
            psycopg.errors.CharacterNotInRepertoire('invalid byte sequence for encoding "UTF8": 0xff'),
        ),
        "too_big": (
            text("SELECT CAST(1099511627776 AS integer)"),
            psycopg.errors.NumericValueOutOfRange("integer out of range"),
        ),
    }

    @router.post("/store/{kind}")
    async def store(kind: str, session: SessionDep) -> dict[str, str]:
        statement, imitation = statements[kind]
        if db.dialect == "sqlite":
            raise DataError("SELECT ...", {}, imitation)
        await session.execute(statement)
        return {"stored": kind}

    app.include_router(router)


@pytest.mark.parametrize(
    ("kind", "error", "sqlstate", "message"),
    [
        ("nul", "DataError", "", "输入包含无法保存的字符"),
        ("bad_bytes", "CharacterNotInRepertoire", "22021", "输入包含无法保存的字符"),
        ("too_big", "NumericValueOutOfRange", "22003", "输入的数据超出可保存的范围"),
    ],
)
async def test_a_value_the_database_refuses_is_a_logged_422_not_a_500(app, db, kind, error, sqlstate, message):
    # given a route that hands the database something it cannot store
    _backstop_route(app, db)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # when it is called
        with capture_logs() as logs:
            response = await client.post(f"/api/v1/test-only/store/{kind}")
    # then the client gets a 422 in the usual shape, with nothing of the database's wording
    assert response.status_code == 422
    assert response.json() == {"code": "invalid_input", "message": message}
    # and the event is logged for whoever has to add the missing bound, without the statement's values
    [event] = [e for e in logs if e["event"] == "database_rejected_input"]
    assert event["log_level"] == "error"
    assert (event["path"], event["method"], event["error"], event["sqlstate"]) == (
        f"/api/v1/test-only/store/{kind}", "POST", error, sqlstate,
    )
    assert "a\x00b" not in str(event)
    assert not [e for e in logs if e["event"] == "unhandled_error"]
