"""Bulk inserts inside the caller's transaction: psycopg COPY on PostgreSQL, executemany on SQLite.

Values are plain Python (``str``, ``int``, ``bytes``, aware ``datetime``, ``None``; JSON columns
take already-serialised text).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

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
    """The text SQLAlchemy's SQLite DateTime stores (naive UTC, microseconds)."""
    return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


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
