"""One clock for the whole service, so tests can move time instead of sleeping.

Storage is timezone-aware UTC; Asia/Shanghai is used only at the edge (order numbers, display).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_offset = timedelta(0)


def now() -> datetime:
    """The current time, timezone-aware UTC (shifted by ``advance`` in tests)."""
    return datetime.now(UTC) + _offset


def advance(delta: timedelta) -> None:
    """Move the service clock forward (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)


@contextmanager
def shifted(delta: timedelta) -> Iterator[None]:
    """Run a block at ``now() + delta`` and put the clock back after it, e.g. the demo seed placing its
    history of orders over past days. Only for code that runs alone (tests, the seed before serving)."""
    global _offset
    before = _offset
    _offset = before + delta
    try:
        yield
    finally:
        _offset = before


def to_shanghai(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)
