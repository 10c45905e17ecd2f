"""The real services the integration tests use: where they are (TRACE_TEST_DATABASE_URL,
TRACE_TEST_MQTT_URL) and cloning a migrated PostgreSQL database per test."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

import sqlalchemy as sa

from traceability.store.engine import create_engine, normalise_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/suyuan_test"
DEFAULT_MQTT = "mqtt://127.0.0.1:1883"
SERVICES_HINT = (
    "Run `make services` (Debian as root), or `docker compose up -d db broker` and set "
    "TRACE_TEST_DATABASE_URL / TRACE_TEST_MQTT_URL."
)


def pg_base_url() -> str:
    return os.environ.get("TRACE_TEST_DATABASE_URL", DEFAULT_PG)


def mqtt_test_url() -> str:
    return os.environ.get("TRACE_TEST_MQTT_URL", DEFAULT_MQTT)


def with_db(url: str, db: str) -> str:
    parsed = urlparse(url)
    return parsed._replace(path="/" + db).geturl()


def terminate(conn: sa.Connection, name: str) -> None:
    conn.execute(
        sa.text(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = :name and pid <> pg_backend_pid()"
        ),
        {"name": name},
    )


@contextmanager
def clone_database(template: str, *, prefix: str = "suyuan_t") -> Iterator[str]:
    """A new database cloned from the migrated ``template``, dropped on exit."""
    base = pg_base_url()
    admin = create_engine(url=with_db(base, "postgres"), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        for attempt in range(20):
            try:
                conn.execute(sa.text(f"create database {name} template {template}"))
                break
            except sa.exc.OperationalError:
                if attempt == 19:
                    raise
                terminate(conn, template)
                time.sleep(0.1)
    try:
        yield normalise_url(with_db(base, name))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"drop database if exists {name} with (force)"))
        admin.dispose()
