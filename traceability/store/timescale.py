"""Everything that only TimescaleDB has, in one place.

Hypertables on event time, ``time_bucket`` summaries and chunk retention for sensor readings.
Ledger tables, the events table and the trace edges are never subject to retention: the ledger
must stay complete, and events/edges are audited against it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

HYPERTABLES: dict[str, tuple[str, str]] = {
    # table: (time column, chunk interval)
    "event": ("event_time", "7 days"),
    "sensor_reading": ("time", "1 day"),
}
RETENTION_ALLOWED = frozenset({"sensor_reading"})


def is_timescale(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        sa.text("select 1 from pg_extension where extname = 'timescaledb'")
    ).scalar()
    return found == 1


def create_hypertables(conn: Connection) -> None:
    """Turn the time-series tables into hypertables (idempotent)."""
    conn.execute(sa.text("create extension if not exists timescaledb"))
    for table, (column, interval) in HYPERTABLES.items():
        conn.execute(
            sa.text(
                f"select create_hypertable('{table}', by_range('{column}', "
                f"interval '{interval}'), if_not_exists => true, migrate_data => true)"
            )
        )


def hypertables(conn: Connection) -> list[str]:
    rows = conn.execute(
        sa.text("select hypertable_name from timescaledb_information.hypertables")
    ).scalars()
    return sorted(str(r) for r in rows)


def drop_old_chunks(conn: Connection, *, table: str, older_than: datetime) -> int:
    """Retention for sensor readings only; refuses every other table."""
    if table not in RETENTION_ALLOWED:
        raise ValueError(f"retention is not allowed on {table!r}")
    dropped = conn.execute(
        sa.text("select drop_chunks(:t, older_than => :ts)"), {"t": table, "ts": older_than}
    ).all()
    return len(dropped)


def bucket_expression(column: str, width: str, dialect: str) -> str:
    """SQL for a time bucket: ``time_bucket`` on TimescaleDB, a portable fallback elsewhere."""
    if dialect == "postgresql":
        return f"time_bucket(interval '{width}', {column})"
    seconds = _interval_seconds(width)
    epoch = f"cast(strftime('%s', {column}) as integer)"
    return f"datetime(({epoch} / {seconds}) * {seconds}, 'unixepoch')"


def _interval_seconds(width: str) -> int:
    number, unit = width.split()
    factor = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
    return int(number) * factor
