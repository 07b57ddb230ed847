"""Domain errors. Services raise these; the app turns them into ``{"code", "message"}`` with a 4xx status.

``code`` is a stable machine-readable identifier; ``message`` is shown to people (Chinese first).
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base for every error a client may see. Never used for bugs (those are 500s and logged)."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"


class UpstreamError(AppError):
    """A partner service (WeChat, a payment gateway) failed or refused; the request may be retried."""

    status_code = 502
    code = "upstream_error"
