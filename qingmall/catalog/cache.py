"""Read-through cache of the public catalog pages as pre-serialised JSON bytes.

The product list, product pages and the category tree are the hottest reads of a shop and the same for every
shopper, so each process keeps the rendered bytes (LRU, ``catalog_cache_seconds`` TTL) and answers a hit
without touching the database or re-validating a model.

Freshness:
- a merchant edit (product, shelf, category, stock adjustment, review moderation) calls ``invalidate()``:
  this process drops its pages at once; with Redis configured, the shared generation number is bumped and
  every other process notices within ``GENERATION_CHECK_SECONDS``;
- stock moved by orders shows after at most the TTL (3 s by default). A stale page never oversells: checkout
  re-reads prices and stock and reserves with a conditional UPDATE.
Tests run with the cache off (``QINGMALL_CATALOG_CACHE_SECONDS=0``) except the tests of the cache itself.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import structlog

from qingmall.settings import get_settings

log = structlog.get_logger("qingmall.catalog.cache")

GENERATION_KEY = "qingmall:catalog:generation"
GENERATION_CHECK_SECONDS = 1.0


class CatalogCache:
    """Per-process LRU of rendered pages keyed by (generation, request), with an optional shared generation."""

    def __init__(self, *, ttl_seconds: float, max_entries: int = 4096, redis_url: str = "") -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._generation = 0
        self._redis = None
        self._checked_at = 0.0
        if redis_url and ttl_seconds > 0:
            from redis.asyncio import Redis

            self._redis = Redis.from_url(redis_url)

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    async def _current_generation(self) -> int:
        if self._redis is None:
            return self._generation
        now = time.monotonic()
        if now - self._checked_at >= GENERATION_CHECK_SECONDS:
            self._checked_at = now
            try:
                shared = int(await self._redis.get(GENERATION_KEY) or 0)
            except Exception as exc:  # Redis down: keep serving with the local generation and the TTL
                log.warning("catalog_cache_redis_unavailable", error=str(exc))
                return self._generation
            if shared != self._generation:
                self._generation = shared
                self._entries.clear()
        return self._generation

    async def get_or_build(self, key: str, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """The cached bytes for ``key``, or ``build()``'s bytes (stored for the TTL)."""
        if not self.enabled:
            return await build()
        generation = await self._current_generation()
        full_key = f"{generation}:{key}"
        now = time.monotonic()
        entry = self._entries.get(full_key)
        if entry is not None and entry[0] > now:
            self._entries.move_to_end(full_key)
            return entry[1]
        body = await build()
        if generation == self._generation:
            self._entries[full_key] = (now + self.ttl, body)
            self._entries.move_to_end(full_key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return body

    async def invalidate(self) -> None:
        """The catalog changed: drop this process's pages and tell the other processes."""
        self._generation += 1
        self._entries.clear()
        if self._redis is not None:
            try:
                self._generation = int(await self._redis.incr(GENERATION_KEY))
                self._checked_at = time.monotonic()
            except Exception as exc:
                log.warning("catalog_cache_redis_unavailable", error=str(exc))


_cache: CatalogCache | None = None


def get_catalog_cache() -> CatalogCache:
    global _cache
    if _cache is None:
        settings = get_settings()
        _cache = CatalogCache(ttl_seconds=settings.catalog_cache_seconds, redis_url=settings.redis_url)
    return _cache


def set_catalog_cache(cache: CatalogCache | None) -> None:
    global _cache
    _cache = cache


async def invalidate_catalog() -> None:
    """Call after committing any change that shoppers see on catalog pages."""
    await get_catalog_cache().invalidate()
