"""Test fixtures: every business test runs on SQLite and, when configured, on PostgreSQL.

- ``QINGMALL_TEST_DATABASE_URL`` (e.g. ``postgresql://127.0.0.1:5432/test``): a throwaway database
  ``qingmall_t_<pid>`` is created from it for this run and dropped at the end, so parallel runs don't clash.
- ``QINGMALL_TEST_REDIS_URL``: Redis paths are tested on real Redis as well as their in-process fallback.
- ``QINGMALL_REQUIRE_SERVICES=1`` (set by ``.ci/run``): a missing service fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

_TMP = tempfile.mkdtemp(prefix="qingmall-test-")
if os.environ.get("PYTEST_XDIST_WORKER"):  # each xdist worker keeps its own data directory (keys, media, seed)
    os.environ["QINGMALL_DATA_DIR"] = _TMP
else:
    os.environ.setdefault("QINGMALL_DATA_DIR", _TMP)
os.environ.setdefault("QINGMALL_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("QINGMALL_JOBS_BACKEND", "memory")
os.environ.setdefault("QINGMALL_INPROCESS_JOBS", "false")
os.environ.setdefault("QINGMALL_CATALOG_CACHE_SECONDS", "0")
os.environ.setdefault("QINGMALL_SANDBOX_REFUND_SECONDS", "0")  # tests complete sandbox refunds explicitly

import httpx  # noqa: E402
import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from qingmall.core import clock  # noqa: E402
from qingmall.core.db import Database, set_database  # noqa: E402
from qingmall.models import metadata  # noqa: E402
from qingmall.settings import get_settings  # noqa: E402

REQUIRE_SERVICES = os.environ.get("QINGMALL_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("QINGMALL_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("QINGMALL_TEST_REDIS_URL", "")

if REQUIRE_SERVICES and not PG_URL:
    raise RuntimeError("QINGMALL_REQUIRE_SERVICES=1 but QINGMALL_TEST_DATABASE_URL is not set")
if REQUIRE_SERVICES and not REDIS_URL:
    raise RuntimeError("QINGMALL_REQUIRE_SERVICES=1 but QINGMALL_TEST_REDIS_URL is not set")

BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
REDIS_BACKENDS = ["memory"] + (["redis"] if REDIS_URL else [])


def _async_pg_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


class PostgresTestDatabase:
    """A database of its own for this test run, created from the configured server and dropped after."""

    def __init__(self, base_url: str, suffix: str = "") -> None:
        self.admin_url = _async_pg_url(base_url)
        self.name = f"qingmall_t_{os.getpid()}{suffix}"
        self.url = make_url(self.admin_url).set(database=self.name).render_as_string(hide_password=False)
        self.database: Database | None = None

    async def _admin(self, statement: str) -> None:
        admin = Database(self.admin_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
        try:
            async with admin.engine.connect() as conn:
                await conn.execute(text(statement))
        finally:
            await admin.dispose()

    async def create_empty(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        await self._admin(f'CREATE DATABASE "{self.name}"')

    async def drop(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    async def start(self) -> Database:
        await self.create_empty()
        self.database = Database(self.url, pool_size=20, max_overflow=40)
        async with self.database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        return self.database

    async def truncate(self) -> None:
        assert self.database is not None
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with self.database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))

    async def stop(self) -> None:
        if self.database is not None:
            await self.database.dispose()
        await self.drop()


@pytest.fixture(scope="session")
async def postgres_server() -> AsyncIterator[PostgresTestDatabase | None]:
    if not PG_URL:
        yield None
        return
    server = PostgresTestDatabase(PG_URL)
    try:
        await server.start()
    except Exception as exc:  # a configured but unreachable server is an error, never a skip
        raise RuntimeError(f"PostgreSQL at {PG_URL} is not usable: {exc}") from exc
    yield server
    await server.stop()


_SQLITE_TEMPLATE: Path | None = None


async def _sqlite_template() -> Path:
    """An empty schema built once per run and copied per test (much faster than create_all each time)."""
    global _SQLITE_TEMPLATE
    if _SQLITE_TEMPLATE is None:
        path = Path(_TMP) / "template.db"
        database = Database(f"sqlite+aiosqlite:///{path}")
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        await database.dispose()  # the last connection to close checkpoints and removes the WAL
        assert not Path(f"{path}-wal").exists()
        _SQLITE_TEMPLATE = path
    return _SQLITE_TEMPLATE


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path, postgres_server) -> AsyncIterator[Database]:
    """A clean database for one test (SQLite file per test; PostgreSQL truncated per test)."""
    clock.reset()
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(await _sqlite_template(), path)
        database = Database(f"sqlite+aiosqlite:///{path}")
        set_database(database)
        yield database
        await database.dispose()
    else:
        assert postgres_server is not None and postgres_server.database is not None
        await postgres_server.truncate()
        set_database(postgres_server.database)
        yield postgres_server.database
    set_database(None)
    clock.reset()


@pytest.fixture
async def session(db: Database):
    async with db.sessionmaker() as s:
        yield s


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Still argon2id, but 1 MB / 1 pass instead of 64 MB / 3 passes: the rules under test are the same and
    the suite is several times faster. Production uses pwdlib's recommended argon2id (``core/security.py``)."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from qingmall.core import security

    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(security, "_hasher", hasher)
    monkeypatch.setattr(security, "_DUMMY_HASH", hasher.hash("qingmall-timing-equaliser"))


@pytest.fixture
def settings():
    return get_settings()


@pytest.fixture
async def app(db: Database, settings):
    from qingmall.app import create_app

    return create_app(settings, db)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(params=REDIS_BACKENDS)
def redis_url(request: pytest.FixtureRequest) -> str:
    """``""`` for the in-process fallback, or the real Redis URL."""
    return "" if request.param == "memory" else REDIS_URL
