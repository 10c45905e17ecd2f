"""The store on the real TimescaleDB and on SQLite: migrations, hypertables, round trips."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from traceability.registry.models import Party
from traceability.store import timescale
from traceability.store.engine import create_engine, current_revision
from traceability.store.models import EventRow


def test_timescaledb_extension_installed_and_event_is_hypertable(pg_url: str) -> None:
    eng = create_engine(url=pg_url)
    with eng.connect() as conn:
        ext = conn.execute(
            sa.text("select extversion from pg_extension where extname = 'timescaledb'")
        ).scalar()
        assert ext is not None and ext.startswith("2.")
        assert timescale.is_timescale(conn)
        assert timescale.hypertables(conn) == ["event", "sensor_reading"]
    eng.dispose()


def test_migrations_reach_head_and_round_trip(engine: Engine) -> None:
    assert current_revision(engine=engine) is not None
    t = datetime(2026, 11, 27, 8, 15, 2, 331000, tzinfo=UTC)
    with Session(engine) as s:
        s.add(Party(id="p1", name="重庆农场", uscc="91350100M000100Y43", roles=["producer"]))
        s.add(
            EventRow(
                event_hash="ni:///sha-256;ab?ver=CBV2.0",
                event_time=t,
                event_type="ObjectEvent",
                action="OBSERVE",
                ledger_index=0,
                recorded_at=t,
                body={"type": "ObjectEvent", "epcList": ["urn:x"]},
            )
        )
        s.commit()
    with Session(engine) as s:
        party = s.exec(select(Party)).one()
        assert party.roles == ["producer"] and party.name == "重庆农场"
        row = s.exec(select(EventRow)).one()
        assert row.event_time == t and row.event_time.tzinfo is not None
        assert row.body["epcList"] == ["urn:x"]


def test_postgres_connections_run_without_jit(pg_url: str) -> None:
    """Short statements only: JIT compiling is never worth it (see create_engine)."""
    eng = create_engine(url=pg_url, connect_args={"options": "-c statement_timeout=60000"})
    try:
        with eng.connect() as c:
            assert c.execute(sa.text("show jit")).scalar() == "off"
            assert c.execute(sa.text("show statement_timeout")).scalar() == "1min"
    finally:
        eng.dispose()
