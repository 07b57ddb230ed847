"""HTTP edge: every error leaves as ``{"code", "message"}`` with a 4xx status; bugs as a logged 500.

A value the database refuses to store (``sqlalchemy.exc.DataError``: NUL or a character the encoding
cannot hold, a number out of range) is the client's bad input that a schema failed to stop: it leaves as
a 422 ``invalid_input`` and is logged so the missing bound gets fixed.
"""

from __future__ import annotations

import contextlib
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from qingmall.core.errors import AppError

log = structlog.get_logger("qingmall.http")

_HTTP_CODES = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


class JSONBytes(Response):
    """orjson-rendered JSON for error bodies and pre-serialised hot paths."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONBytes:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONBytes(body, status_code=status)


_VALIDATION_MESSAGES = {
    "missing": "缺少必填项",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "int_from_float": "必须是整数",
    "bool_parsing": "必须是 true 或 false",
    "bool_type": "必须是 true 或 false",
    "string_type": "必须是字符串",
    "string_unicode": "包含无效的字符",
    "list_type": "必须是数组",
    "dict_type": "必须是对象",
    "model_type": "必须是对象",
    "string_pattern_mismatch": "格式不正确",
    "literal_error": "取值必须是 {expected} 之一",
    "enum": "取值必须是 {expected} 之一",
    "extra_forbidden": "不支持的字段",
    "datetime_parsing": "不是合法的时间",
    "datetime_from_date_parsing": "不是合法的时间",
    "url_parsing": "不是合法的网址",
}


def _chinese(err: dict[str, Any]) -> str:
    """People read the message: say it in Chinese when pydantic's error type is a common one."""
    template = _VALIDATION_MESSAGES.get(str(err.get("type")))
    if template is None:
        message = str(err.get("msg", ""))
        return message.removeprefix("Value error, ")
    ctx = dict(err.get("ctx") or {})
    if isinstance(ctx.get("expected"), str):  # pydantic lists choices in English: "'a', 'b' or 'c'" → "'a'、'b'、'c'"
        ctx["expected"] = ctx["expected"].replace(" or ", "、").replace(", ", "、")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return str(err.get("msg", ""))


def _describe_validation(errors: list[dict[str, Any]]) -> tuple[str, str, list[dict[str, Any]]]:
    details = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]  # only the leading location: a query parameter may itself be called ``path``
        details.append({"field": ".".join(loc), "type": err.get("type"), "message": _chinese(err)})
    if any(err.get("type") == "json_invalid" for err in errors):
        return "malformed_json", "请求体不是合法的 JSON", details
    first = details[0] if details else {"field": "", "message": ""}
    where = f"（{first['field']}）" if first["field"] else ""
    return "invalid_input", f"参数不合法{where}：{first['message']}", details


# character_not_in_repertoire ("invalid byte sequence for encoding"), untranslatable_character
_CHARACTER_SQLSTATES = frozenset({"22021", "22P05"})
UNSTORABLE_CHARACTERS = "输入包含无法保存的字符"
OUT_OF_RANGE = "输入的数据超出可保存的范围"


def _describe_data_error(exc: DataError) -> tuple[str, str, str]:
    """(message for people, sqlstate, short reason for the log); never the statement's parameters."""
    orig = exc.orig
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    reason = (str(orig).splitlines() or [""])[0][:200]
    about_characters = sqlstate in _CHARACTER_SQLSTATES or "NUL" in reason or "byte sequence" in reason
    return (UNSTORABLE_CHARACTERS if about_characters else OUT_OF_RANGE), sqlstate, reason


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> Response:
        return error_response(exc.status_code, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        code, message, details = _describe_validation(list(exc.errors()))
        status = 400 if code == "malformed_json" else 422
        return error_response(status, code, message, details)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> Response:
        message, sqlstate, reason = _describe_data_error(exc)
        log.error(
            "database_rejected_input",
            path=request.url.path,
            method=request.method,
            error=type(exc.orig).__name__,
            sqlstate=sqlstate,
            reason=reason,
        )
        return error_response(422, "invalid_input", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        code, message = _HTTP_CODES.get(exc.status_code, ("http_error", "请求失败"))
        if isinstance(exc.detail, str) and exc.detail and exc.status_code not in _HTTP_CODES:
            message = exc.detail
        return error_response(exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled_error", path=request.url.path, method=request.method)
        return error_response(500, "internal_error", "服务器开小差了，请稍后再试")


class BodySizeLimit:
    """Refuse request bodies over a limit before they are buffered (upload routes get their own, larger limits).

    ``limits`` are ``(path prefix, bytes)`` pairs, the first matching prefix wins (list the longer, more
    specific prefixes first); any other path gets ``default_limit``. Checks ``Content-Length`` up front and
    counts streamed bytes for chunked bodies; answers 413 ``payload_too_large`` in the usual error shape.
    """

    def __init__(self, app: Any, *, default_limit: int, limits: tuple[tuple[str, int], ...]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = limits

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = next((size for prefix, size in self.limits if path.startswith(prefix)), self.default_limit)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await self._reject(scope, receive, send, limit)
                    return
        received = 0
        exceeded = False

        async def limited_receive() -> Any:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Any) -> None:
            if not exceeded:  # once over the limit, whatever the app answers is replaced by the 413
                await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if exceeded:
            await self._reject(scope, receive, send, limit)

    @staticmethod
    async def _reject(scope: Any, receive: Any, send: Any, limit: int) -> None:
        response = error_response(413, "payload_too_large", f"请求内容过大（上限 {limit // 1024} KB）")
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass
