"""``bulk.copy``: the unnest INSERT (few rows, or pipeline mode) and binary COPY (many rows) store
the same values, on PostgreSQL, and so does ``bulk.copy_stream`` (rows from a generator);
SQLite takes the same rows through executemany."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from traceability.ledger import bulk
from traceability.store.engine import create_engine

COLS = ("k", "s", "n", "b", "t", "j")
TYPES = ("bigint", "varchar", "bigint", "bytea", "timestamptz", "jsonb")
T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def rows(start: int, count: int) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for i in range(start, start + count):
        out.append(
            (
                i,
                None if i % 7 == 0 else f's{i}\t\\ "q" 溯源',
                None if i % 5 == 0 else i * 1_000_003,
                None if i % 11 == 0 else bytes([i % 256, 0, 255]),
                T0 + timedelta(microseconds=i),
                {"i": i, "txt": "溯源\n", "list": [1, None, "x"]},
            )
        )
    return rows_sorted(out)


def rows_sorted(r: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(r, key=lambda x: int(x[0]))


def read(session: Session, table: str) -> list[tuple[Any, ...]]:
    got = session.connection().execute(sa.text(f"select {', '.join(COLS)} from {table} order by k"))
    return [
        (k, s, n, None if b is None else bytes(b), t.astimezone(UTC), j) for k, s, n, b, t, j in got
    ]


@pytest.mark.parametrize("count", [1, bulk.SMALL_ROWS, bulk.SMALL_ROWS + 1, 500])
def test_unnest_and_copy_store_the_same_values(pg_url: str, count: int) -> None:
    engine = create_engine(url=pg_url)
    try:
        with Session(engine) as s:
            s.connection().execute(
                sa.text(
                    "create temp table bt (k bigint primary key, s varchar, n bigint, b bytea, "
                    "t timestamptz, j jsonb)"
                )
            )
            want = rows(0, count)
            bulk.copy(s, "bt", COLS, TYPES, want)
            assert read(s, "bt") == want
            raw: Any = s.connection().connection.dbapi_connection
            assert not bulk.in_pipeline(raw)
            more = rows(count, count)
            with raw.pipeline():
                assert bulk.in_pipeline(raw)
                bulk.copy(s, "bt", COLS, TYPES, more)  # COPY is not allowed here: unnest
            assert read(s, "bt") == want + more
            streamed = rows(2 * count, count)  # from a generator, as the ledger's records are
            bulk.copy_stream(s, "bt", COLS, TYPES, (r for r in streamed), count)
            assert read(s, "bt") == want + more + streamed
            s.rollback()
    finally:
        engine.dispose()
