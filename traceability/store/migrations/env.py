"""Alembic environment: one set of migrations for SQLite and PostgreSQL+TimescaleDB."""

from __future__ import annotations

from alembic import context

from traceability.store.engine import create_engine
from traceability.store.metadata import load_all_models

config = context.config
target_metadata = load_all_models().metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url=url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
