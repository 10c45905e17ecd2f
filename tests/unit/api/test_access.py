"""Issue 12, item 13: who may read and write what (docs/access.md), role x resource.

Roles: the public (no token), a producer of the party that owns the resource (farm), a producer
of another party (shop), a regulator and the admin (operator). Each cell is the status, and for
lists the ids the caller sees.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from devices.keys import DeviceKeyPair
from tests.unit.api.conftest import ADMIN, FARM, REG, SHOP
from traceability.signing.ed25519 import b64url

ROLES: dict[str, dict[str, str]] = {
    "public": {},
    "farm": FARM,
    "shop": SHOP,
    "regulator": REG,
    "admin": ADMIN,
}
# the platform (its party, location and signing device) registers itself with the first
# ledgered registry change: regulators and admins see it in listings
BOTH = ["field", "store", "suyuan-platform"]


@pytest.fixture
def world(client: TestClient) -> TestClient:
    for party in ("farm", "shop"):
        r = client.post("/parties", json={"id": party, "name": party}, headers=ADMIN)
        assert r.status_code == 201, r.text
    sites = {"farm": ("field", "1"), "shop": ("store", "2")}
    for party, (loc, n) in sites.items():
        body = {
            "id": loc,
            "name": loc,
            "party_id": party,
            "sgln": f"urn:epc:id:sgln:6937101.0000{n}.0",
        }
        assert client.post("/locations", json=body, headers=ADMIN).status_code == 201
    for dev, loc, party in (("gate-1", "field", "farm"), ("till-1", "store", "shop")):
        body = {"id": dev, "location_id": loc, "party_id": party}
        assert client.post("/devices", json=body, headers=ADMIN).status_code == 201
        key = {"public_key": b64url(DeviceKeyPair.generate(dev).public_key)}
        assert client.post(f"/devices/{dev}/keys", json=key, headers=ADMIN).status_code == 201
    prod = {"gtin": "06937101000018", "name": "Oranges", "category": "food", "party_id": "farm"}
    assert client.post("/products", json=prod, headers=ADMIN).status_code == 201
    lot = {"gtin": "06937101000018", "lot": "L1"}
    assert client.post("/lots", json=lot, headers=ADMIN).status_code == 201
    return client


def _ids(body: Any) -> list[str]:
    return sorted(x.get("id") or x.get("lot") or x.get("gtin") or x["key_id"] for x in body)


# (path, {role: status or list of ids seen})
READS: list[tuple[str, dict[str, Any]]] = [
    (
        "/parties",
        {
            "public": 401,
            # the platform registers itself with the first ledgered registry change
            "farm": ["farm", "shop", "suyuan-platform"],
            "shop": ["farm", "shop", "suyuan-platform"],
            "regulator": ["farm", "shop", "suyuan-platform"],
            "admin": ["farm", "shop", "suyuan-platform"],
        },
    ),
    ("/parties/farm", dict.fromkeys(ROLES, 200)),
    (
        "/locations",
        {"public": 401, "farm": ["field"], "shop": ["store"], "regulator": BOTH, "admin": BOTH},
    ),
    (
        "/locations?party_id=farm",
        {"public": 401, "farm": ["field"], "shop": 403, "regulator": ["field"], "admin": ["field"]},
    ),
    (
        "/devices",
        {
            "public": 401,
            "farm": ["gate-1"],
            "shop": ["till-1"],
            "regulator": ["gate-1", "suyuan-platform", "till-1"],
            "admin": ["gate-1", "suyuan-platform", "till-1"],
        },
    ),
    (
        "/devices?party_id=farm",
        {
            "public": 401,
            "farm": ["gate-1"],
            "shop": 403,
            "regulator": ["gate-1"],
            "admin": ["gate-1"],
        },
    ),
    ("/devices/gate-1", {"public": 401, "farm": 200, "shop": 403, "regulator": 200, "admin": 200}),
    (
        "/devices/gate-1/keys",
        {"public": 401, "farm": 200, "shop": 403, "regulator": 200, "admin": 200},
    ),
    ("/products", {key: ["06937101000018"] for key in ROLES}),
    ("/products/06937101000018", dict.fromkeys(ROLES, 200)),
    ("/lots?gtin=06937101000018", {key: ["L1"] for key in ROLES}),
    ("/ledger/entries/0", dict.fromkeys(ROLES, 200)),
    ("/deadletters", {"public": 401, "farm": 403, "shop": 403, "regulator": 200, "admin": 200}),
    ("/metrics", {"public": 401, "farm": 403, "shop": 403, "regulator": 403, "admin": 200}),
]


@pytest.mark.parametrize(("path", "expected"), READS, ids=[p for p, _ in READS])
def test_reads(world: TestClient, path: str, expected: dict[str, Any]) -> None:
    for role, headers in ROLES.items():
        want = expected[role]
        r = world.get(path, headers=headers)
        if isinstance(want, list):
            assert r.status_code == 200, (role, r.text)
            assert _ids(r.json()) == want, role
        else:
            assert r.status_code == want, (role, r.text)
            if want >= 400:
                assert r.json()["error"]["code"] in ("unauthenticated", "forbidden"), role


# (path, body, {role: status}); each write by farm's resources
WRITES: list[tuple[str, dict[str, Any], dict[str, int]]] = [
    (
        "/parties",
        {"id": "new", "name": "New"},
        {"public": 401, "farm": 403, "shop": 403, "regulator": 403, "admin": 201},
    ),
    (
        "/locations",
        {"id": "barn", "name": "Barn", "party_id": "farm"},
        {"public": 401, "farm": 201, "shop": 403, "regulator": 403, "admin": 201},
    ),
    (
        "/devices",
        {"id": "gate-2", "location_id": "field", "party_id": "farm"},
        {"public": 401, "farm": 201, "shop": 403, "regulator": 403, "admin": 201},
    ),
    (
        "/products",
        {"gtin": "06937101000025", "name": "P", "category": "food", "party_id": "farm"},
        {"public": 401, "farm": 201, "shop": 403, "regulator": 403, "admin": 201},
    ),
    (
        "/lots",
        {"gtin": "06937101000018", "lot": "L2"},
        {"public": 401, "farm": 201, "shop": 403, "regulator": 403, "admin": 201},
    ),
]


@pytest.mark.parametrize(("path", "body", "expected"), WRITES, ids=[p for p, _, _ in WRITES])
def test_writes(
    world: TestClient, path: str, body: dict[str, Any], expected: dict[str, int]
) -> None:
    # refusals first, then the first success; a second success would be a 409 (same id)
    order = sorted(ROLES, key=lambda role: expected[role] < 300)
    for role in order:
        want = expected[role]
        r = world.post(path, json=body, headers=ROLES[role])
        assert r.status_code == want, (role, r.text)
        if want < 300:
            break


def test_key_enrolment(world: TestClient) -> None:
    want = {"public": 401, "farm": 201, "shop": 403, "regulator": 403, "admin": 201}
    for role, headers in ROLES.items():
        key = {"public_key": b64url(DeviceKeyPair.generate("gate-1").public_key)}
        r = world.post("/devices/gate-1/keys", json=key, headers=headers)
        assert r.status_code == want[role], (role, r.text)
