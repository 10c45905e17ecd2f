"""The gateway's API routes go through ``api.deps.require_role``: dead letters for regulators
(and admins), ``/metrics`` for the operator (admin) only; a stored dead letter reads back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gateway.decode import Refused
from gateway.store import StoreWriter
from traceability.config import Settings
from traceability.store.engine import create_engine

ADMIN = {"Authorization": "Bearer admin-secret"}
PRODUCER = {"Authorization": "Bearer farm-token"}
REGULATOR = {"Authorization": "Bearer reg-token"}


@pytest.fixture
def client(sqlite_url: str, tmp_path: Path) -> TestClient:
    settings = Settings(
        database_url=sqlite_url,
        data_dir=tmp_path,
        admin_token="admin-secret",
        api_tokens="farm-token:producer:farm,reg-token:regulator",
    )
    return TestClient(create_app(settings))


def test_gateway_deadletters_need_regulator(client: TestClient, sqlite_url: str) -> None:
    engine = create_engine(url=sqlite_url)
    StoreWriter(engine).write(
        [
            Refused(
                "trace/v1/d1/events",
                b"{oops",
                "malformed",
                "d1",
                None,
                "not JSON",
                datetime.now(UTC),
            )
        ]
    )
    engine.dispose()
    assert client.get("/deadletters").status_code == 401
    assert client.get("/deadletters", headers=PRODUCER).status_code == 403
    for who in (REGULATOR, ADMIN):
        r = client.get("/deadletters", params={"reason": "malformed"}, headers=who)
        assert r.status_code == 200, r.text
        rows = r.json()["dead_letters"]
        assert [row["reason"] for row in rows] == ["malformed"]
    one = client.get(f"/deadletters/{rows[0]['id']}", headers=REGULATOR)
    assert one.status_code == 200 and one.json()["device"] == "d1"
    assert one.json()["payload_text"] == "{oops"
    assert client.get(f"/deadletters/{rows[0]['id']}").status_code == 401


def test_gateway_metrics_operator_only(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=PRODUCER).status_code == 403
    assert client.get("/metrics", headers=REGULATOR).status_code == 403
    r = client.get("/metrics", headers=ADMIN)
    assert r.status_code == 200 and "suyuan_gateway_messages_received_total" in r.text
