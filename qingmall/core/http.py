"""HTTP edge: every error leaves as ``{"code", "message"}`` with a 4xx status; bugs as a logged 500."""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
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


def _describe_validation(errors: list[dict[str, Any]]) -> tuple[str, str, list[dict[str, Any]]]:
    details = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
        details.append({"field": ".".join(loc), "type": err.get("type"), "message": err.get("msg")})
    if any(err.get("type") == "json_invalid" for err in errors):
        return "malformed_json", "请求体不是合法的 JSON", details
    first = details[0] if details else {"field": "", "message": ""}
    where = f"（{first['field']}）" if first["field"] else ""
    return "invalid_input", f"参数不合法{where}：{first['message']}", details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> Response:
        return error_response(exc.status_code, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        code, message, details = _describe_validation(list(exc.errors()))
        status = 400 if code == "malformed_json" else 422
        return error_response(status, code, message, details)

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
