"""The audit log: every merchant write is recorded without any route having to remember it.

``install_audit(app)`` adds an ASGI middleware that watches POST/PUT/PATCH/DELETE requests under
``/api/admin/v1``. It copies the request body as it streams past (capped), notes the response status,
and once the application has finished (the request's own session is closed by then, so SQLite's write
lock is free) writes one ``AuditLog`` row in its own short transaction. Failures (403, 409, 422, a wrong
password at login, even a 500) are recorded too. A failure to write the audit row is logged loudly and
never turns the business response into an error.

The actor is noted by ``deps.get_current_staff`` through ``note_actor``; for the login itself (no token
yet) the ``username`` field of the body is recorded and resolved to a staff id. Any other request without
a valid token is recorded without an actor: a body's ``username`` there is data, not who acted.
Secrets in the body (passwords, tokens, secrets, verification codes) are replaced by ``"***"``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import structlog
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qingmall.core import clock
from qingmall.core.db import get_database
from qingmall.core.pagination import Page, bounded_time, cursor_id, decode_cursor, encode_cursor
from qingmall.staff.models import AuditLog, Staff
from qingmall.staff.schemas import AuditLogPublic

log = structlog.get_logger("qingmall.audit")

ADMIN_PREFIX = "/api/admin/v1"
AUDITED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_PATH = ADMIN_PREFIX + "/auth/login"
SCOPE_KEY = "qingmall.audit"
BODY_CAPTURE_BYTES = 16 * 1024
SUMMARY_MAX_CHARS = 2000
STRING_MAX_CHARS = 200
LIST_MAX_ITEMS = 20
MAX_DEPTH = 5
REDACTED = "***"

_SECRET_WORDS = ("password", "passwd", "token", "secret", "api_key", "apikey", "private_key", "authorization")
_SECRET_CODE_KEYS = frozenset(
    {"code", "sms_code", "verify_code", "verification_code", "auth_code", "js_code", "otp", "captcha"}
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean(text: str) -> str:
    """What the request said, minus control characters (PostgreSQL cannot store or compare a NUL)."""
    return _CONTROL.sub("\ufffd", text)


@dataclass
class AuditActor:
    """Who made the request, as far as authentication got."""

    staff_id: int | None = None
    username: str = ""
    role: str = ""
    request_id: str = ""


def note_actor(scope: Scope, staff: Staff) -> None:
    """Tell the audit middleware who is acting (called by ``get_current_staff``); no-op when not audited."""
    actor = scope.get(SCOPE_KEY)
    if isinstance(actor, AuditActor):
        actor.staff_id, actor.username, actor.role = staff.id, staff.username, staff.role


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_CODE_KEYS or any(word in lowered for word in _SECRET_WORDS)


def redact(value: Any, depth: int = 0) -> Any:
    """Secrets replaced by ``***``, long strings and lists shortened, deep nesting cut."""
    if depth > MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        return {
            str(k): REDACTED if is_secret_key(str(k)) else redact(v, depth + 1) for k, v in list(value.items())[:50]
        }
    if isinstance(value, list):
        items = [redact(v, depth + 1) for v in value[:LIST_MAX_ITEMS]]
        if len(value) > LIST_MAX_ITEMS:
            items.append(f"…（共 {len(value)} 项）")
        return items
    if isinstance(value, str) and len(value) > STRING_MAX_CHARS:
        return value[:STRING_MAX_CHARS] + "…"
    return value


def summarise_body(body: bytes, *, content_type: str, total_bytes: int) -> dict[str, Any] | None:
    """A small, secret-free picture of a request body for the log (``None`` for an empty body)."""
    if total_bytes == 0:
        return None
    if "json" not in content_type:
        return {"_content_type": content_type[:100], "_bytes": total_bytes}
    if total_bytes > len(body):
        return {"_content_type": content_type[:100], "_bytes": total_bytes, "_truncated": True}
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {"_invalid_json": True, "_bytes": total_bytes}
    cleaned = redact(parsed)
    summary = cleaned if isinstance(cleaned, dict) else {"_body": cleaned}
    text = orjson.dumps(summary).decode()
    if len(text) > SUMMARY_MAX_CHARS:
        return {"_truncated": True, "_preview": text[:SUMMARY_MAX_CHARS]}
    return summary


def route_template(scope: Scope) -> str:
    """The matched route with its placeholders, e.g. ``/api/admin/v1/staff/{staff_id}`` ("" if unmatched)."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    path_format = getattr(context, "path_format", None)
    if isinstance(path_format, str) and path_format:
        return path_format
    route_path = getattr(scope.get("route"), "path", None)
    if not isinstance(route_path, str) or not route_path:
        return ""
    actual = scope.get("path", "").rstrip("/").split("/")
    tail = route_path.strip("/").split("/")
    if len(tail) >= len(actual):
        return route_path
    return "/".join(actual[: len(actual) - len(tail)] + tail)


def target_of(scope: Scope) -> str:
    """The first path parameter (the resource acted on), e.g. the review id of ``/reviews/{review_id}/hide``."""
    params = scope.get("path_params") or {}
    for value in params.values():
        return str(value)[:64]
    return ""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _request_id(scope: Scope) -> str:
    given = _header(scope, b"x-request-id").strip()
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


async def write_audit_entry(entry: dict[str, Any], login_username: str | None) -> None:
    """Insert one audit row in its own transaction (commits). Resolves a login's username to a staff id."""
    async with get_database().sessionmaker() as session:
        if entry["staff_id"] is None and login_username:
            row = (
                await session.execute(select(Staff.id, Staff.role).where(Staff.username == login_username))
            ).one_or_none()
            entry["username"] = login_username
            if row is not None:
                entry["staff_id"], entry["role"] = row.id, row.role
        session.add(AuditLog(**entry))
        await session.commit()


class AuditMiddleware:
    """ASGI middleware recording every admin write; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") not in AUDITED_METHODS
            or not (scope.get("path", "") + "/").startswith(ADMIN_PREFIX + "/")
        ):
            await self.app(scope, receive, send)
            return

        request_id = _request_id(scope)
        actor = AuditActor(request_id=request_id)
        scope[SCOPE_KEY] = actor
        captured = bytearray()
        total = 0
        status: int | None = None

        async def receive_and_copy() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                total += len(chunk)
                room = BODY_CAPTURE_BYTES - len(captured)
                if room > 0:
                    captured.extend(chunk[:room])
            return message

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if not any(key.lower() == b"x-request-id" for key, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive_and_copy, send_and_watch)
        except Exception:
            await self._record(scope, actor, request_id, bytes(captured), total, status or 500)
            raise
        await self._record(scope, actor, request_id, bytes(captured), total, status or 500)

    async def _record(
        self, scope: Scope, actor: AuditActor, request_id: str, body: bytes, total: int, status: int
    ) -> None:
        method = _clean(scope.get("method", ""))
        path = _clean(scope.get("path", ""))
        try:
            template = route_template(scope)
            summary = summarise_body(body, content_type=_header(scope, b"content-type").lower(), total_bytes=total)
            login_username = None
            if path == LOGIN_PATH and summary and isinstance(summary.get("username"), str):
                login_username = _clean(summary["username"]).strip().lower()[:64]
            client = scope.get("client")
            entry = {
                "staff_id": actor.staff_id,
                "username": actor.username,
                "role": actor.role,
                "action": f"{method} {template or path}"[:320],
                "method": method,
                "path": path[:512],
                "route": template[:300],
                "target_id": target_of(scope),
                "status_code": status,
                "ip": (client[0] if client else "")[:64],
                "user_agent": _clean(_header(scope, b"user-agent"))[:255],
                "request_id": request_id,
                "body_summary": summary,
                "created_at": clock.now(),
            }
            await write_audit_entry(entry, login_username)
        except Exception:
            log.error(
                "audit_write_failed",
                method=method,
                path=path,
                status_code=status,
                staff_id=actor.staff_id,
                request_id=request_id,
                exc_info=True,
            )


async def record_item_writes(scope: Scope, route: str, items: list[tuple[str, dict[str, Any]]]) -> None:
    """One extra audit row per item a batch request changed, written as if that item had been changed by its
    own ``POST route`` (e.g. each order a bulk shipment shipped, recorded like a single ship), with the batch
    request's actor, client and request id, so the item's history reads the same whichever way it was done.

    ``items`` are ``(target_id, body_summary)``; the ``{placeholder}`` of ``route`` is filled with the target id for
    the path. Call it after the request's own transaction has ended (one short transaction of its own);
    no-op outside an audited request; a failure is logged loudly and never raised.
    """
    actor = scope.get(SCOPE_KEY)
    if not isinstance(actor, AuditActor) or not items:
        return
    client = scope.get("client")
    now = clock.now()
    try:
        async with get_database().sessionmaker() as session:
            for target_id, summary in items:
                path = re.sub(r"\{[^}]*\}", lambda _, target=target_id: target, route)
                session.add(
                    AuditLog(
                        staff_id=actor.staff_id,
                        username=actor.username,
                        role=actor.role,
                        action=f"POST {route}"[:320],
                        method="POST",
                        path=_clean(path)[:512],
                        route=route[:300],
                        target_id=_clean(target_id)[:64],
                        status_code=200,
                        ip=(client[0] if client else "")[:64],
                        user_agent=_clean(_header(scope, b"user-agent"))[:255],
                        request_id=actor.request_id,
                        body_summary=redact(summary),
                        created_at=now,
                    )
                )
            await session.commit()
    except Exception:
        log.error("audit_write_failed", route=route, items=len(items), request_id=actor.request_id, exc_info=True)


def install_audit(app: FastAPI) -> None:
    """Record every admin write of ``app`` in the audit log. Idempotent; call before the app starts."""
    if getattr(app.state, "audit_installed", False):
        return
    app.add_middleware(AuditMiddleware)
    app.state.audit_installed = True


async def list_audit_logs(
    session: AsyncSession,
    *,
    staff_id: int | None = None,
    username: str | None = None,
    action_prefix: str | None = None,
    path_prefix: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status_code: int | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[AuditLogPublic]:
    """Newest first, keyset-paged by id. Naive datetimes are read as Beijing time (what the console shows);
    times outside 2000..2199 are ``invalid_date`` and a forged cursor is ``invalid_cursor``, never a 500."""
    query = select(AuditLog)
    if staff_id is not None:
        query = query.where(AuditLog.staff_id == staff_id)
    if username:
        query = query.where(AuditLog.username == username.strip().lower())
    if action_prefix:
        query = query.where(AuditLog.action.startswith(action_prefix, autoescape=True))
    if path_prefix:
        query = query.where(AuditLog.path.startswith(path_prefix, autoescape=True))
    if since is not None:
        query = query.where(AuditLog.created_at >= bounded_time(since, "起始时间"))
    if until is not None:
        query = query.where(AuditLog.created_at < bounded_time(until, "截止时间"))
    if status_code is not None:
        query = query.where(AuditLog.status_code == status_code)
    after = decode_cursor(cursor, 1)
    if after is not None:
        query = query.where(AuditLog.id < cursor_id(after[0]))
    rows = list((await session.scalars(query.order_by(AuditLog.id.desc()).limit(limit + 1))).all())
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return Page(items=[AuditLogPublic.from_log(row) for row in rows[:limit]], next_cursor=next_cursor)
