"""Registry and device enrolment through the API, with role-based bearer tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from devices.keys import DeviceKeyPair
from traceability.config import Settings
from traceability.signing.ed25519 import b64url

ADMIN = {"Authorization": "Bearer admin-secret"}
FARM = {"Authorization": "Bearer farm-token"}
OTHER = {"Authorization": "Bearer other-token"}
REG = {"Authorization": "Bearer reg-token"}


@pytest.fixture
def client(sqlite_url: str, tmp_path: Path) -> TestClient:
    settings = Settings(
        database_url=sqlite_url,
        data_dir=tmp_path,
        admin_token="admin-secret",
        api_tokens="farm-token:producer:farm, other-token:producer:other,reg-token:regulator",
    )
    return TestClient(create_app(settings))


def test_enrolment_through_the_api(client: TestClient) -> None:
    party = {"id": "farm", "name": "Farm", "uscc": "91350100M000100Y44"}
    assert client.post("/parties", json=party, headers=FARM).status_code == 403
    assert client.post("/parties", json=party).status_code == 401
    r = client.post("/parties", json=party, headers=ADMIN)
    assert r.status_code == 201 and r.json()["uscc_warning"].endswith(
        "check character should be 3, got 4"
    )
    assert r.json()["uscc_checksum_valid"] is False
    loc = {
        "id": "field",
        "name": "Field",
        "party_id": "farm",
        "sgln": "urn:epc:id:sgln:6937101.00001.0",
    }
    assert client.post("/locations", json=loc, headers=OTHER).status_code == 403
    assert client.post("/locations", json=loc, headers=FARM).status_code == 201
    dev = {"id": "gate-1", "location_id": "field", "party_id": "farm"}
    assert client.post("/devices", json=dev, headers=OTHER).status_code == 403
    assert client.post("/devices", json=dev, headers=FARM).status_code == 201
    assert client.post("/devices", json=dev, headers=FARM).status_code == 409
    key = DeviceKeyPair.generate("gate-1")
    body = {"public_key": b64url(key.public_key)}
    assert client.post("/devices/gate-1/keys", json=body, headers=OTHER).status_code == 403
    r = client.post("/devices/gate-1/keys", json=body, headers=FARM)
    assert r.status_code == 201 and r.json()["key_id"] == key.key_id
    identity = {"public_key": "01" + "00" * 31}  # the identity point: refused
    r = client.post("/devices/gate-1/keys", json=identity, headers=ADMIN)
    assert r.status_code == 400 and r.json()["error"]["code"] == "weak_key"
    assert client.post("/devices/nope/keys", json=body, headers=ADMIN).status_code == 404
    keys = client.get("/devices/gate-1/keys", headers=REG).json()
    assert [k["key_id"] for k in keys] == [key.key_id]
    assert [d["id"] for d in client.get("/devices", headers=OTHER).json()] == []
    # the platform's signing device registered itself with the first ledgered change
    seen = [d["id"] for d in client.get("/devices", headers=REG).json()]
    assert seen == ["gate-1", "suyuan-platform"]


def test_products_lots_and_public_reads(client: TestClient) -> None:
    client.post("/parties", json={"id": "farm", "name": "Farm"}, headers=ADMIN)
    prod = {"gtin": "06937101000018", "name": "Oranges", "category": "food", "party_id": "farm"}
    assert (
        client.post("/products", json={**prod, "gtin": "06937101000017"}, headers=FARM).status_code
        == 422
    )
    assert client.post("/products", json=prod, headers=FARM).status_code == 201
    assert (
        client.post("/lots", json={"gtin": prod["gtin"], "lot": "L1"}, headers=OTHER).status_code
        == 403
    )
    assert (
        client.post("/lots", json={"gtin": prod["gtin"], "lot": "L1"}, headers=FARM).status_code
        == 201
    )
    assert client.get("/products/6937101000018").json()["name"] == "Oranges"
    assert [x["lot"] for x in client.get("/lots", params={"gtin": prod["gtin"]}).json()] == ["L1"]
    assert client.get("/parties/farm").json()["uscc_warning"] is None
    assert client.get("/parties/none").status_code == 404
