"""Opaque cursors for keyset pagination: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel

from qingmall.core.clock import SHANGHAI
from qingmall.core.errors import InvalidInput

T = TypeVar("T")


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str | None, length: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except Exception as exc:
        raise InvalidInput("分页游标无效", code="invalid_cursor") from exc
    if not isinstance(values, list) or len(values) != length:
        raise InvalidInput("分页游标无效", code="invalid_cursor")
    return values


class Page(BaseModel, Generic[T]):
    """A page of items and the cursor for the next page (``None`` on the last page)."""

    items: list[T]
    next_cursor: str | None = None


MAX_CURSOR_ID = 2**62
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _bad_cursor() -> InvalidInput:
    return InvalidInput("分页游标无效", code="invalid_cursor")


def cursor_id(value: Any) -> int:
    """An id taken from a cursor: a real int (not bool) in 1..2**62, else 422 ``invalid_cursor``."""
    if type(value) is not int or not 1 <= value <= MAX_CURSOR_ID:
        raise _bad_cursor()
    return value


def cursor_int(value: Any, *, minimum: int = -MAX_CURSOR_ID, maximum: int = MAX_CURSOR_ID) -> int:
    """A sort value (price, sales) from a cursor, bounded so it always fits BIGINT."""
    if type(value) is not int or not minimum <= value <= maximum:
        raise _bad_cursor()
    return value


def cursor_time(value: Any) -> datetime:
    """A timestamp from a cursor: ISO-8601 with a timezone, between 2000 and 2200, returned in UTC."""
    if not isinstance(value, str) or len(value) > 40:
        raise _bad_cursor()
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive")
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _bad_cursor() from exc
    if not _EARLIEST <= moment < _LATEST:
        raise _bad_cursor()
    return moment


def bounded_day(value: date, field: str) -> date:
    """A date filter between 2000-01-01 and 2199-12-31 (beyond that there is nothing, and UTC maths overflows)."""
    if not _EARLIEST.date() <= value < _LATEST.date():
        raise InvalidInput(f"{field} 超出可查询范围（2000-2199 年）", code="invalid_date")
    return value


def bounded_time(value: datetime, field: str) -> datetime:
    """A time filter in range; a time without a timezone is Beijing time. Returned in UTC."""
    try:
        moment = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
        moment = moment.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidInput(f"{field} 超出可查询范围（2000-2199 年）", code="invalid_date") from exc
    if not _EARLIEST <= moment < _LATEST:
        raise InvalidInput(f"{field} 超出可查询范围（2000-2199 年）", code="invalid_date")
    return moment
