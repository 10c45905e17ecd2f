"""API request bodies are RFC 8259 JSON: ``NaN`` / ``Infinity`` / ``-Infinity`` are an
undecodable body (422 ``json_invalid``, the member and constant named), never a float."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.jsonbody import StrictJSONRoute
from api.main import create_app
from traceability.config import Settings

ADMIN = {"Authorization": "Bearer admin-secret", "Content-Type": "application/json"}


@pytest.fixture
def client(sqlite_url: str, tmp_path: Path) -> TestClient:
    settings = Settings(database_url=sqlite_url, data_dir=tmp_path, admin_token="admin-secret")
    return TestClient(create_app(settings))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_body_with_a_json_constant_is_refused(client: TestClient, constant: str) -> None:
    party = '{"id": "farm", "name": "Farm", "uscc": "91350100M000100Y44"}'
    loc = (
        '{"id": "field", "name": "Field", "party_id": "farm", '
        '"sgln": "urn:epc:id:sgln:6937101.00001.0", "latitude": ' + constant + "}"
    )
    assert client.post("/parties", content=party, headers=ADMIN).status_code == 201
    r = client.post("/locations", content=loc, headers=ADMIN)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "json_invalid" and err["field"] == "body.latitude"
    assert constant in err["message"] and "latitude" in err["message"]
    ok = loc.replace(constant, "30.5")
    assert client.post("/locations", content=ok, headers=ADMIN).status_code == 201


def test_every_route_reads_json_strictly(client: TestClient) -> None:
    routes = [r for r in client.app.routes if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    assert routes
    loose = [r.path for r in routes if not isinstance(r, StrictJSONRoute) and r.path != "/healthz"]
    assert not loose, f"routes reading request JSON with json.loads: {loose}"
