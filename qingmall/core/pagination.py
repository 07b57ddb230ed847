"""Opaque cursors for keyset pagination: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel

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
