"""Rate limits shared by every worker: Redis when ``settings.redis_url`` is set, in-process memory otherwise.

Built on the ``limits`` package with the moving-window strategy (no burst at a window edge: "1 per minute"
really means 60 s between two hits). ``consume`` takes several rules at once and spends none of them unless
all of them have room, so a request refused by the daily rule does not also use up the per-minute one.
Memory storage is per process: with several workers and no Redis each worker counts on its own.

When Redis is configured but unreachable, ``consume`` fails closed (503 ``rate_limit_unavailable``): the
limits guard paid actions such as SMS, so "no limit" is not a safe fallback.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from qingmall.core.errors import AppError, TooManyRequests


class RateLimitUnavailable(AppError):
    status_code = 503
    code = "rate_limit_unavailable"


@dataclass(frozen=True)
class Rule:
    """``limit`` in the ``limits`` notation (``"1/minute"``, ``"10/day"``) applied to one ``key``."""

    limit: str
    key: str


@lru_cache(maxsize=64)
def _parse(limit: str) -> RateLimitItem:
    return parse(limit)


def _storage_uri(url: str) -> str:
    if not url:
        return "async+memory://"
    for plain, wrapped in (
        ("redis://", "async+redis://"),
        ("rediss://", "async+rediss://"),
        ("unix://", "async+redis+unix://"),
    ):
        if url.startswith(plain):
            return wrapped + url[len(plain) :]
    if url.startswith("async+"):
        return url
    raise ValueError(f"unsupported rate limit storage URL: {url.split('://')[0]}://")


class RateLimiter:
    """Moving-window limits over one storage; ``namespace`` prefixes every key (tests use their own)."""

    def __init__(self, storage_url: str = "", *, namespace: str = "qingmall") -> None:
        uri = _storage_uri(storage_url)
        self.backend = "memory" if uri.startswith("async+memory") else "redis"
        options: dict[str, str | bool] = {"wrap_exceptions": True}
        if self.backend == "redis":
            options["implementation"] = "redispy"
        self._namespace = namespace
        self._storage = storage_from_string(uri, **options)
        self._strategy = MovingWindowRateLimiter(self._storage)

    def _key(self, key: str) -> str:
        return f"{self._namespace}:{key}"

    async def _retry_after(self, item: RateLimitItem, key: str) -> int:
        stats = await self._strategy.get_window_stats(item, self._key(key))
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def consume(self, *rules: Rule, message: str = "操作过于频繁，请稍后再试") -> None:
        """Spend one hit of every rule, or raise 429 ``too_many_requests`` and spend none (best effort
        under a race: two requests that both pass the check may both be counted, never both let through
        past the limit, since ``hit`` re-checks atomically)."""
        items = [(_parse(rule.limit), rule.key) for rule in rules]
        try:
            for item, key in items:
                if not await self._strategy.test(item, self._key(key)):
                    raise TooManyRequests(message, details={"retry_after": await self._retry_after(item, key)})
            for item, key in items:
                if not await self._strategy.hit(item, self._key(key)):
                    raise TooManyRequests(message, details={"retry_after": await self._retry_after(item, key)})
        except StorageError as exc:
            raise RateLimitUnavailable("服务繁忙，请稍后再试") from exc

    async def clear(self, *rules: Rule) -> None:
        for rule in rules:
            await self._strategy.clear(_parse(rule.limit), self._key(rule.key))
