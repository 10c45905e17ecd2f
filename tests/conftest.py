"""Shared fixtures: stores on both backends (SQLite file and real PostgreSQL+TimescaleDB), the
real broker. Helpers live in :mod:`tests.support`."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support.services import (
    SERVICES_HINT,
    clone_database,
    mqtt_test_url,
    pg_base_url,
    terminate,
    with_db,
)
from traceability.store.engine import create_engine, upgrade


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database; each test clones it (CREATE DATABASE ... TEMPLATE)."""
    base = pg_base_url()
    admin = create_engine(url=with_db(base, "postgres"), isolation_level="AUTOCOMMIT")
    name = f"suyuan_tpl_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"create database {name}"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {base}: {exc.orig}. {SERVICES_HINT}")
    url = with_db(base, name)
    upgrade(url=url)
    create_engine(url=url).dispose()
    with admin.connect() as conn:
        # TimescaleDB's background scheduler connects to every database that allows it; a
        # template must have no other sessions while it is cloned.
        conn.execute(sa.text(f"alter database {name} with allow_connections false"))
        terminate(conn, name)
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f"drop database if exists {name} with (force)"))
    admin.dispose()


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL+TimescaleDB database for one test."""
    with clone_database(pg_template) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'suyuan.db'}"
    upgrade(url=url)
    return url


@pytest.fixture(params=["sqlite", "timescale"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The same test on both backends."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    eng = create_engine(url=store_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def mqtt_url() -> str:
    """The real Mosquitto; a missing broker is a failure, never a skip."""
    url = mqtt_test_url()
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 1883
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        pytest.fail(f"Mosquitto is not reachable at {host}:{port}: {exc}. {SERVICES_HINT}")
    return url
