"""Special-equipment lifecycle through the API (``POST /equipment/{code}/lifecycle``) on both
stores: each step is ledgered (platform-signed, ``verify`` passes), ``GET /equipment/overdue``
counts it at once and names the maintenance company; bad input is a 4xx naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from traceability.config import Settings
from traceability.ledger.audit import audit
from traceability.store.engine import create_engine

ADMIN = {"Authorization": "Bearer admin-secret"}
OWNER = {"Authorization": "Bearer owner-token"}
MAINT = {"Authorization": "Bearer maint-token"}
REG = {"Authorization": "Bearer reg-token"}
CODE = "311050107202600042"
GIAI = f"urn:epc:id:giai:6937101.{CODE}"
NOW = datetime.now(UTC)


def _z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _post(c: TestClient, body: dict[str, Any], headers: dict[str, str], code: str = CODE) -> Any:
    return c.post(f"/equipment/{code}/lifecycle", json=body, headers=headers)


@pytest.fixture
def client(store_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    settings = Settings(
        database_url=store_url,
        data_dir=tmp_path,
        admin_token="admin-secret",
        api_tokens="owner-token:producer:owner,maint-token:producer:maint,reg-token:regulator",
    )
    with TestClient(create_app(settings)) as c:
        parties = (
            ("owner", ["owner"]),
            ("maint", ["maintenance"]),
            ("inspect", ["inspection"]),
        )
        for pid, roles in parties:
            body = {"id": pid, "name": pid, "roles": roles, "uscc": "91500000MA5U000001"}
            assert c.post("/parties", json=body, headers=ADMIN).status_code == 201
        loc = {
            "id": "plaza",
            "name": "Plaza",
            "party_id": "owner",
            "sgln": "urn:epc:id:sgln:6937101.00001.0",
        }
        assert c.post("/locations", json=loc, headers=OWNER).status_code == 201
        yield c, store_url


def _overdue(c: TestClient) -> list[dict[str, Any]]:
    r = c.get("/equipment/overdue", headers=REG)
    assert r.status_code == 200, r.text
    return [u for u in r.json()["overdue"] if u["equipment_code"] == CODE]


def test_lifecycle_through_the_api_drives_compliance(client: Any) -> None:
    c, url = client
    reg = _post(c, {"step": "registration", "giai": GIAI, "at": _z(NOW - timedelta(40))}, OWNER)
    assert reg.status_code == 201, reg.text
    body = {"step": "installation", "at": _z(NOW - timedelta(35)), "location_id": "plaza"}
    assert _post(c, body, OWNER).status_code == 201
    maint = _post(c, {"step": "maintenance", "at": _z(NOW - timedelta(20))}, MAINT)
    assert maint.status_code == 201, maint.text
    assert maint.json()["ledger_index"] > reg.json()["ledger_index"]
    late = _overdue(c)
    assert late and late[0]["overdue"] == ["maintenance"], late
    assert late[0]["maintenance_company"]["id"] == "maint"
    assert late[0]["maintenance_company"]["uscc"] == "91500000MA5U000001"
    assert late[0]["location"]["id"] == "urn:epc:id:sgln:6937101.00001.0"
    assert _post(c, {"step": "maintenance"}, MAINT).status_code == 201  # now
    assert _overdue(c) == []
    insp = {"step": "inspection", "party_id": "inspect", "disposition": "non_conformant"}
    assert _post(c, insp, REG).status_code == 201
    unit = c.get(f"/equipment/{CODE}").json()
    kinds = {d["kind"]: d for d in unit["compliance"]}
    assert kinds["maintenance"]["overdue"] is False and kinds["inspection"]["last"]
    assert _post(c, {"step": "decommissioning"}, OWNER).status_code == 201
    assert c.get(f"/equipment/{CODE}").json()["decommissioned"] is True
    engine = create_engine(url=url)
    with Session(engine) as s:
        rep = audit(s, processes=1)
    engine.dispose()
    assert rep.ok, [f.to_dict() for f in rep.failures]


@pytest.mark.parametrize(
    ("body", "headers", "code", "status", "field"),
    [
        ({"step": "registration", "giai": GIAI}, OWNER, "3110501072026", 400, "code"),
        ({"step": "registration", "giai": GIAI}, OWNER, "9110501072026000AB", 400, "code"),
        ({"step": "registration", "giai": GIAI}, OWNER, "..\\..\\etc0000000", 400, "code"),
        (
            {"step": "registration", "giai": GIAI, "at": "0001-01-01T00:00:00Z"},
            OWNER,
            CODE,
            400,
            "at",
        ),
        (
            {"step": "registration", "giai": GIAI, "at": "9999-12-31T23:59:59Z"},
            OWNER,
            CODE,
            400,
            "at",
        ),
        (
            {"step": "registration", "giai": GIAI, "at": _z(NOW + timedelta(days=1))},
            OWNER,
            CODE,
            400,
            "at",
        ),
        ({"step": "registration", "giai": GIAI, "at": "yesterday"}, OWNER, CODE, 400, "at"),
        (
            {"step": "registration", "giai": GIAI, "at": "2026-01-01T00:00:00"},
            OWNER,
            CODE,
            400,
            "at",
        ),
        ({"step": "registration", "giai": "urn:epc:id:giai:6937101.X1"}, OWNER, CODE, 400, "giai"),
        ({"step": "registration"}, OWNER, CODE, 400, "giai"),
        ({"step": "polishing"}, OWNER, CODE, 400, "step"),
        ({"step": "repair"}, OWNER, CODE, 404, "code"),
        ({"step": "registration", "giai": GIAI, "party_id": "maint"}, OWNER, CODE, 403, "party_id"),
        ({"step": "inspection", "party_id": "inspect"}, OWNER, CODE, 403, "step"),
        ({"step": "maintenance"}, REG, CODE, 403, "step"),
        ({"step": "inspection"}, REG, CODE, 400, "party_id"),
        ({"step": "registration", "giai": GIAI, "extra": 1}, OWNER, CODE, 400, "extra"),
        (
            {"step": "registration", "giai": GIAI, "party_id": "nobody"},
            ADMIN,
            CODE,
            404,
            "party_id",
        ),
        (
            {"step": "registration", "giai": GIAI, "location_id": "nowhere"},
            OWNER,
            CODE,
            404,
            "location_id",
        ),
        (
            {"step": "registration", "giai": GIAI, "disposition": "conformant"},
            OWNER,
            CODE,
            400,
            "disposition",
        ),
        ({"step": "registration", "giai": "x\u0000"}, OWNER, CODE, 400, "giai"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(
    client: Any, body: dict[str, Any], headers: dict[str, str], code: str, status: int, field: str
) -> None:
    c, _url = client
    r = _post(c, body, headers, code)
    assert r.status_code == status or (status == 400 and r.status_code == 422), r.text
    err = r.json()["error"]
    assert field in (err.get("field") or "") or field in err["message"], err


def test_maintenance_needs_a_maintenance_company_and_units_register_once(client: Any) -> None:
    c, _url = client
    assert _post(c, {"step": "registration", "giai": GIAI}, OWNER).status_code == 201
    again = _post(c, {"step": "registration", "giai": GIAI}, OWNER)
    assert again.status_code == 409 and again.json()["error"]["field"] == "code"
    r = _post(c, {"step": "maintenance"}, OWNER)  # the owner is no maintenance company
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_maintenance_company"
    assert _post(c, {"step": "maintenance"}, MAINT).status_code == 201
