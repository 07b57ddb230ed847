"""Alembic environment: runs migrations with a sync driver (pysqlite / psycopg) on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from qingmall.core.migrate import sync_url
from qingmall.core.search import is_search_object
from qingmall.models import metadata
from qingmall.settings import get_settings

config = context.config
url = config.attributes.get("database_url") or get_settings().resolved_database_url


def include_name(name: str | None, _type: str, _parent: object) -> bool:
    """Skip the full-text search objects: the migration creates them with ``search_ddl``, not the models."""
    return not is_search_object(name)


def run_migrations_offline() -> None:
    context.configure(
        url=sync_url(url), target_metadata=metadata, literal_binds=True, render_as_batch=url.startswith("sqlite")
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
