"""Migrations 0004-0005 (the event table re-keyed, the event-hash index replaced) run over a
store that already holds a ledger, on SQLite and TimescaleDB, and back down again: the audit
passes at every step, and appends still work afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlmodel import Session

from tests.support.ledger import event, fill, submissions
from tests.support.services import clone_database
from traceability.ledger import audit, log_state, service
from traceability.store.engine import alembic_config, create_engine, current_revision, upgrade


@pytest.fixture(params=["sqlite", "timescale"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with clone_database("template0", prefix="suyuan_mig") as url:
        yield url


def _audit(url: str) -> tuple[bool, int, str | None]:
    engine = create_engine(url=url)
    try:
        with Session(engine) as s:
            report = audit.audit(s)
        return report.ok, report.size, current_revision(engine=engine)
    finally:
        engine.dispose()


def test_up_and_down_over_a_ledger(empty_url: str) -> None:
    upgrade(url=empty_url, revision="0003")
    engine = create_engine(url=empty_url)
    with Session(engine) as s:
        seed, kid, _ = fill(s, n=40)
    engine.dispose()
    assert _audit(empty_url) == (True, 41, "0003")
    upgrade(url=empty_url, revision="0005")
    assert _audit(empty_url) == (True, 41, "0005")
    log_state._CACHES.clear()
    engine = create_engine(url=empty_url)
    with Session(engine) as s:  # appends on the new keys, duplicates still found
        again = service.append_events(s, submissions=submissions(seed, kid, [event(0)], seq=90))
        fresh = service.append_events(s, submissions=submissions(seed, kid, [event(100)], seq=91))
        s.commit()
    engine.dispose()
    assert (again[0].status, fresh[0].status, fresh[0].index) == ("duplicate", "appended", 41)
    assert _audit(empty_url) == (True, 42, "0005")
    command.downgrade(alembic_config(url=empty_url), "0003")
    assert _audit(empty_url) == (True, 42, "0003")
