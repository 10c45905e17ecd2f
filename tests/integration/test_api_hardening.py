"""Issue 12, items 10 and 11 on the real stores: the API commits before it answers (a failed
commit is never a 201), enrolment works at once after registration on a real server, and
production mode refuses the simulators' derived device keys."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient

from api.main import create_app
from devices.keys import DeviceKeyPair
from devices.simulators import sim_key
from traceability.config import Settings
from traceability.signing.ed25519 import b64url
from traceability.store.engine import create_engine

ADMIN_TOKEN = "a" * 40
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _settings(url: str, data_dir: Path, **extra: Any) -> Settings:
    return Settings(
        database_url=url,
        data_dir=data_dir,
        admin_token=ADMIN_TOKEN,
        checkpoint_interval_s=0,
        **extra,
    )


def _refuse_at_commit(url: str, errcode: str) -> None:
    """A deferred constraint trigger: the INSERT succeeds, the COMMIT fails."""
    engine = create_engine(url=url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "create function refuse_party() returns trigger language plpgsql as $$ "
                f"begin raise exception using errcode = '{errcode}', "
                "message = 'test: refused at commit'; end $$"
            )
        )
        conn.execute(
            sa.text(
                "create constraint trigger refuse_party after insert on party "
                "deferrable initially deferred for each row execute function refuse_party()"
            )
        )
    engine.dispose()


@pytest.mark.parametrize(
    ("errcode", "status", "code"),
    [("23505", 409, "conflict"), ("P0001", 500, "store_error")],
)
def test_a_commit_that_fails_is_never_a_201(
    pg_url: str, tmp_path: Path, errcode: str, status: int, code: str
) -> None:
    _refuse_at_commit(pg_url, errcode)
    client = TestClient(create_app(_settings(pg_url, tmp_path)), raise_server_exceptions=False)
    r = client.post("/parties", json={"id": "farm", "name": "Farm"}, headers=ADMIN)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and "nothing was saved" in r.json()["error"]["message"]
    assert client.get("/parties/farm").status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(store_url: str, tmp_path: Path) -> Iterator[str]:
    """The API under uvicorn on a free 127.0.0.1 port (a real server: the response is sent
    while the request's cleanup may still run)."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(_settings(store_url, tmp_path)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_a_device_can_be_keyed_right_after_it_is_registered(server: str) -> None:
    """Was 404 "device not registered" about 1 in 60: the 201 went out before the commit."""
    with httpx.Client(base_url=server, headers=ADMIN, timeout=10) as http:
        assert http.post("/parties", json={"id": "farm", "name": "Farm"}).status_code == 201
        loc = {"id": "field", "name": "Field", "party_id": "farm", "gln": "6937101000018"}
        assert http.post("/locations", json=loc).status_code == 201
        for n in range(40):
            dev = {"id": f"gate-{n}", "location_id": "field", "party_id": "farm"}
            assert http.post("/devices", json=dev).status_code == 201
            key = {"public_key": b64url(DeviceKeyPair.generate(dev["id"]).public_key)}
            r = http.post(f"/devices/gate-{n}/keys", json=key)
            assert r.status_code == 201, (n, r.text)


def test_production_refuses_simulated_device_keys(pg_url: str, tmp_path: Path) -> None:
    settings = _settings(pg_url, tmp_path, mode="production")
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    assert (
        client.post("/parties", json={"id": "farm", "name": "Farm"}, headers=ADMIN).status_code
        == 201
    )
    loc = {"id": "field", "name": "Field", "party_id": "farm", "gln": "6937101000018"}
    assert client.post("/locations", json=loc, headers=ADMIN).status_code == 201
    dev = {"id": "gate-1", "location_id": "field", "party_id": "farm"}
    assert client.post("/devices", json=dev, headers=ADMIN).status_code == 201
    key = {"public_key": b64url(sim_key("gate-1").public_key)}
    r = client.post("/devices/gate-1/keys", json=key, headers=ADMIN)
    assert r.status_code == 400 and r.json()["error"]["code"] == "simulated_key", r.text
    key = {"public_key": b64url(DeviceKeyPair.generate("gate-1").public_key)}
    assert client.post("/devices/gate-1/keys", json=key, headers=ADMIN).status_code == 201


def test_nul_in_a_path_or_body_is_a_4xx_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    client = TestClient(create_app(_settings(pg_url, tmp_path)), raise_server_exceptions=False)
    assert client.get("/parties/a%00b").status_code == 400  # was DataError -> 500
    r = client.post("/parties", json={"id": "farm", "name": "a\u0000b"}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["error"]["field"] == "body.name"
