"""Bulk inserts inside the caller's transaction: psycopg COPY on PostgreSQL, executemany on SQLite.

Values are plain Python (``str``, ``int``, ``bytes``, aware ``datetime``, ``None``). With
:func:`insert`, JSON columns take already-serialised text; with :func:`copy` (binary COPY, one
statement per table) the column types are given and ``jsonb`` columns take the Python value
(serialised with orjson, falling back to ``json`` for what orjson refuses).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from psycopg.types.json import Jsonb, set_json_dumps
from sqlmodel import Session

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(v: Any) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, str):
        return v.translate(_COPY_ESCAPES)
    if isinstance(v, bytes):
        return "\\\\x" + v.hex()
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, datetime):
        return v.isoformat()
    return str(v)


def sqlite_time(v: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores (naive UTC, microseconds; the year in four
    digits, which ``strftime`` does not write for years before 1000)."""
    t = v.astimezone(UTC)
    return f"{t.year:04d}-{t:%m-%d %H:%M:%S.%f}"


def insert(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        data = "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows)
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            cp.write(data)
        return
    fixed = [tuple(sqlite_time(v) if isinstance(v, datetime) else v for v in row) for row in rows]
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", fixed)


def _dumps(obj: Any) -> bytes | str:
    try:
        return orjson.dumps(obj)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _json_text(obj: Any) -> str:
    out = _dumps(obj)
    return out.decode() if isinstance(out, bytes) else out


# Up to this many rows a table's insert is one ``INSERT ... SELECT FROM unnest(arrays)``: one
# round trip instead of COPY's two, and it can be queued in pipeline mode (COPY cannot).
SMALL_ROWS = 64


def in_pipeline(raw: Any) -> bool:
    """Whether the psycopg connection is in pipeline mode (statements queued until a sync)."""
    return bool(raw.pgconn.pipeline_status)


def _insert_unnest(
    raw: Any,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    arrays: list[list[Any]] = [[] for _ in columns]
    for row in rows:
        for arr, v in zip(arrays, row, strict=True):
            arr.append(v)
    for i, t in enumerate(types):
        if t in ("json", "jsonb"):
            arrays[i] = [None if v is None else Jsonb(v, dumps=_dumps) for v in arrays[i]]
    args = ", ".join(f"%b::{t}[]" for t in types)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({args})"
    with raw.cursor() as cur:
        cur.execute(sql, arrays, prepare=True)


def copy(
    session: Session,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Bulk insert in the caller's transaction (``types``: the columns' PostgreSQL types).

    PostgreSQL: binary COPY, or for a few rows (or in pipeline mode) one unnest INSERT;
    elsewhere :func:`insert`."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        json_cols = {i for i, t in enumerate(types) if t in ("json", "jsonb")}
        if json_cols:
            rows = [
                tuple(_json_text(v) if i in json_cols else v for i, v in enumerate(row))
                for row in rows
            ]
        insert(session, table, columns, rows)
        return
    raw: Any = conn.connection.dbapi_connection
    if len(rows) <= SMALL_ROWS or in_pipeline(raw):
        _insert_unnest(raw, table, columns, types, rows)
        return
    _copy_binary(raw, table, columns, types, rows)


def _copy_binary(
    raw: Any,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    with raw.cursor() as cur:
        set_json_dumps(_dumps, context=cur)
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(list(types))
            write = cp.write_row
            for row in rows:
                write(row)


def copy_stream(
    session: Session,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence[Any]],
    count: int,
) -> None:
    """As :func:`copy` for ``count`` rows that are built while they are sent (``rows`` a
    generator): in a binary COPY, psycopg sends every 32 KiB of rows as it fills and the server
    inserts them while Python builds the next. Where :func:`copy` would not COPY (few rows,
    pipeline mode, SQLite) the rows are built first and handed to it."""
    conn = session.connection()
    raw: Any = conn.connection.dbapi_connection if conn.dialect.name == "postgresql" else None
    if raw is None or count <= SMALL_ROWS or in_pipeline(raw):
        copy(session, table, columns, types, list(rows))
        return
    _copy_binary(raw, table, columns, types, rows)
