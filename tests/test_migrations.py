"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from qingmall.core.migrate import sync_url, upgrade
from qingmall.core.search import is_search_object
from qingmall.models import metadata
from tests.conftest import PG_URL, PostgresTestDatabase


def _assert_matches_models(url: str) -> None:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": lambda name, *_: not is_search_object(name)}
            )
            diff = compare_metadata(context, metadata)
            assert diff == [], f"migrations and models differ: {diff}"
            tables = set(inspect(conn).get_table_names())
            assert {"spus", "skus", "orders", "alembic_version"} <= tables
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            assert version
    finally:
        engine.dispose()


def test_sqlite_migrations_match_models(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    upgrade(url)
    upgrade(url)  # a second run is a no-op
    _assert_matches_models(url)


def test_postgres_migrations_match_models():
    if not PG_URL:
        pytest.skip("QINGMALL_TEST_DATABASE_URL not set (required in CI)")
    server = PostgresTestDatabase(PG_URL, suffix="_migrations")
    asyncio.run(server.create_empty())
    try:
        upgrade(server.url)
        upgrade(server.url)
        _assert_matches_models(server.url)
    finally:
        asyncio.run(server.drop())
