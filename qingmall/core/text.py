"""Text types for request schemas: no control characters reach the database.

PostgreSQL refuses NUL in text (a 500 if it gets that far) and control characters have no place in names,
remarks or filters. ``SingleLine`` refuses every control character; ``MultiLine`` allows tab and newlines.
Both strip surrounding whitespace. Use with a length: ``Annotated[SingleLine, Field(max_length=64)]`` or the
helpers ``single_line(max_length)`` / ``multi_line(max_length)``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
_MULTI_LINE_FORBIDDEN = {chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"} | {"\x7f"}


def _no_control(value: str) -> str:
    if any(ch in _MULTI_LINE_FORBIDDEN for ch in value):
        raise ValueError("不能包含控制字符")
    return value


def _single(value: str) -> str:
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in value):
        raise ValueError("不能包含换行或控制字符")
    return value


def single_line(max_length: int, min_length: int = 0) -> Any:
    """A one-line string of ``min_length``..``max_length`` characters, stripped, no control characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_single),
    ]


def multi_line(max_length: int, min_length: int = 0) -> Any:
    """Free text (remarks, notes, review bodies): newlines and tabs allowed, other control characters not."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_control),
    ]
