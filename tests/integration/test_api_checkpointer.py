"""The API signs a checkpoint periodically when the log has grown, and only then."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from api.checkpointer import sign_if_grown
from api.main import create_app
from tests.support.ledger import event, fill, submissions
from traceability.config import Settings
from traceability.ledger.service import append_events
from traceability.store.engine import get_engine, session_scope


def _settings(url: str, tmp_path: Path, interval: float) -> Settings:
    return Settings(database_url=url, data_dir=tmp_path, checkpoint_interval_s=interval)


def test_sign_if_grown(store_url: str, tmp_path: Path) -> None:
    settings = _settings(store_url, tmp_path, 0)
    assert sign_if_grown(settings) is None  # empty log: nothing to sign
    with session_scope(engine=get_engine(store_url)) as session:
        seed, kid, _ = fill(session, n=5)
    first = sign_if_grown(settings)
    assert first is not None and first >= 5
    assert sign_if_grown(settings) is None  # not grown since
    with session_scope(engine=get_engine(store_url)) as session:
        subs = submissions(seed, kid, [event(i) for i in range(30, 33)], seq=99)
        append_events(session, submissions=subs)
    second = sign_if_grown(settings)
    assert second is not None and second > first


def test_api_lifespan_signs_periodically(sqlite_url: str, tmp_path: Path) -> None:
    settings = _settings(sqlite_url, tmp_path, 0.2)
    with session_scope(engine=get_engine(sqlite_url)) as session:
        fill(session, n=4)
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            resp = client.get("/ledger/checkpoint")
            if resp.status_code == 200:
                break
            time.sleep(0.1)
        assert resp.status_code == 200, resp.text
        lines = resp.text.splitlines()
        assert int(lines[1]) >= 4
