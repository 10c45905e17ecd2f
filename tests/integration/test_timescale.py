"""TimescaleDB-only code: retention only for sensor readings, time buckets on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from traceability.store import timescale
from traceability.store.engine import create_engine
from traceability.store.models import SensorReading

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _readings(engine: sa.Engine, days: int) -> None:
    with Session(engine) as s:
        for d in range(days):
            for minute in (0, 20, 40):
                s.add(
                    SensorReading(
                        time=T0 + timedelta(days=d, minutes=minute),
                        source="urn:epc:id:sscc:6937102.0220632465",
                        measurement="gs1:Temperature",
                        value=2.0 + d + minute / 100,
                        unit="CEL",
                    )
                )
        s.commit()


@pytest.mark.parametrize("table", ["event", "trace_edge", "ledger_entry", "ledger_item"])
def test_retention_refused_outside_sensor_readings(pg_url: str, table: str) -> None:
    engine = create_engine(url=pg_url)
    with engine.begin() as conn, pytest.raises(ValueError, match="retention is not allowed"):
        timescale.drop_old_chunks(conn, table=table, older_than=T0)
    engine.dispose()


def test_drop_old_sensor_chunks(pg_url: str) -> None:
    engine = create_engine(url=pg_url)
    _readings(engine, days=5)
    with engine.begin() as conn:
        dropped = timescale.drop_old_chunks(
            conn, table="sensor_reading", older_than=T0 + timedelta(days=3)
        )
        left = conn.execute(sa.text("select min(time) from sensor_reading")).scalar_one()
    engine.dispose()
    assert dropped == 3  # one-day chunks for days 0, 1 and 2
    assert left == T0 + timedelta(days=3)


def test_hourly_buckets_agree_on_both_backends(store_url: str) -> None:
    engine = create_engine(url=store_url)
    _readings(engine, days=2)
    bucket = timescale.bucket_expression("time", "1 hour", engine.dialect.name)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                f"select {bucket} as b, count(*), avg(value) from sensor_reading "
                "group by b order by b"
            )
        ).all()
    engine.dispose()
    assert [r[1] for r in rows] == [3, 3]
    assert [round(float(r[2]), 2) for r in rows] == [2.2, 3.2]
    first = rows[0][0]
    first_text = first.isoformat() if isinstance(first, datetime) else str(first)
    assert first_text.startswith("2026-11-01") and "00:00:00" in first_text
