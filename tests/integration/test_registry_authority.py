"""Registry rows that carry authority, edited behind the platform's back, are caught by
``tracectl verify`` (step 10); the same changes made through the API and the CLI are not.

A tampered-case corpus like ``test_ledger_tampering``: each case names the tampering, the SQL
that does it, and the subject and field step 10 must name. The world is built through the API
(parties, locations, a device, a product) and changed through it (device moved, then revoked;
product handed over; party put on the serious-violation list), on both stores.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from tests.integration.test_demo import TRACECTL
from traceability.config import Settings
from traceability.ledger.audit import audit
from traceability.ledger.audit.registry import signed_message
from traceability.ledger.service import append_entry
from traceability.registry import ledgered
from traceability.registry.models import Device, Party, Product
from traceability.signing import ed25519 as signing
from traceability.store.engine import create_engine

ADMIN = {"Authorization": "Bearer admin-secret"}
FARM = {"Authorization": "Bearer farm-token"}
OTHER = {"Authorization": "Bearer other-token"}
REGULATOR = {"Authorization": "Bearer reg-token"}
GTIN = "06937101000018"

CASES: dict[str, dict[str, Any]] = {
    "device_moved_by_sql": {
        "sql": "update device set location_id = 'farm-gate' where id = 'farm-reader'",
        "what": ("device farm-reader", "location_id"),
    },
    "device_unrevoked_by_sql": {
        "sql": "update device set status = 'active' where id = 'farm-reader'",
        "what": ("device farm-reader", "status"),
    },
    "device_party_changed_by_sql": {
        "sql": "update device set party_id = 'trader' where id = 'farm-reader'",
        "what": ("device farm-reader", "party_id"),
    },
    "product_owner_changed_by_sql": {
        "sql": f"update product set party_id = 'farm' where gtin = '{GTIN}'",
        "what": (f"product {GTIN}", "party_id"),
    },
    "serious_violation_flag_cleared_by_sql": {
        "sql": "update party set credit_status = 'good' where id = 'farm'",
        "what": ("party farm", "credit_status"),
    },
    "serious_violation_flag_set_by_sql": {
        "sql": "update party set credit_status = 'serious_violation' where id = 'trader'",
        "what": ("party trader", "credit_status"),
    },
}


def _ok(r: Any, code: int = 200) -> dict[str, Any]:
    assert r.status_code == code, r.text
    out: dict[str, Any] = r.json()
    return out


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str, Path]]:
    settings = Settings(
        database_url=store_url,
        data_dir=tmp_path,
        admin_token="admin-secret",
        api_tokens="farm-token:producer:farm,other-token:producer:trader,reg-token:regulator",
    )
    with TestClient(create_app(settings)) as c:
        for pid, gln in (("farm", "6937101000001"), ("trader", "6937102000000")):
            _ok(c.post("/parties", json={"id": pid, "name": pid, "gln": gln}, headers=ADMIN), 201)
        for lid, gln in (("farm-gate", "6937101000018"), ("farm-shed", "6937101000025")):
            body = {"id": lid, "name": lid, "party_id": "farm", "gln": gln}
            _ok(c.post("/locations", json=body, headers=FARM), 201)
        body = {"id": "farm-reader", "location_id": "farm-gate", "party_id": "farm"}
        _ok(c.post("/devices", json=body, headers=FARM), 201)
        body = {"gtin": GTIN, "name": "Oranges", "category": "food", "party_id": "farm"}
        _ok(c.post("/products", json=body, headers=FARM), 201)
        # the changes, through the platform
        dev = _ok(c.patch("/devices/farm-reader", json={"location_id": "farm-shed"}, headers=FARM))
        assert dev["location_id"] == "farm-shed"
        dev = _ok(c.patch("/devices/farm-reader", json={"status": "revoked"}, headers=FARM))
        assert dev["status"] == "revoked"
        prod = _ok(c.patch(f"/products/{GTIN}/owner", json={"party_id": "trader"}, headers=ADMIN))
        assert prod["party_id"] == "trader"
        body = {"credit_status": "serious_violation"}
        party = _ok(c.patch("/parties/farm/credit", json=body, headers=REGULATOR))
        assert party["credit_status"] == "serious_violation"
        yield c, store_url, tmp_path


def _audit(url: str) -> Any:
    engine = create_engine(url=url)
    try:
        with Session(engine) as s:
            return audit(s, processes=1)
    finally:
        engine.dispose()


def _sql(url: str, sql: str) -> None:
    engine = create_engine(url=url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def _entries(url: str, kind: str, subject: str) -> list[int]:
    engine = create_engine(url=url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("select idx, record from ledger_entry where kind = :k order by idx"),
                {"k": kind},
            ).all()
    finally:
        engine.dispose()
    return [int(i) for i, rec in rows if json.loads(bytes(rec))["body"]["subject"] == subject]


def test_changes_through_the_api_are_ledgered_and_verify(world: Any) -> None:
    _c, url, _dir = world
    rep = _audit(url)
    assert rep.ok, [f.to_dict() for f in rep.failures]
    # create + move + revoke: three entries for the device, each platform-signed
    assert len(_entries(url, "registry.device", "farm-reader")) == 3
    assert len(_entries(url, "registry.product", GTIN)) == 2
    assert len(_entries(url, "registry.party", "farm")) == 2


@pytest.mark.parametrize("case", sorted(CASES))
def test_sql_edit_is_caught_with_step_and_subject(world: Any, case: str) -> None:
    _c, url, _dir = world
    spec = CASES[case]
    _sql(url, spec["sql"])
    rep = _audit(url)
    assert not rep.ok
    subject, field = spec["what"]
    kind = "registry." + subject.split()[0]
    latest = _entries(url, kind, subject.split()[1])[-1]
    hits = [f for f in rep.failures if f.field == "step10" and subject in f.message]
    assert hits, [f.to_dict() for f in rep.failures]
    assert field in hits[0].message and hits[0].index == latest
    assert len(rep.failures) == 1  # nothing else is named


def test_forged_entry_is_named(world: Any) -> None:
    """Someone with SQL access appends a well-formed registry entry (the Merkle nodes computed
    as the platform would) that clears the flag, and clears the row to match: without the
    platform's key the entry's signature fails, and the row still differs from the last entry
    that verifies."""
    _c, url, _dir = world
    engine = create_engine(url=url)
    try:
        with Session(engine) as s:
            assert ledgered.ledgered_subjects(s)["registry.party"]["farm"]
            body = {
                "by": "regulator",
                "fields": {"credit_status": "good"},
                "key": _entry(s, _entries(url, "registry.party", "farm")[-1])["body"]["key"],
                "subject": "farm",
            }
            seed, _pub = signing.generate_keypair()
            msg = signed_message("registry.party", body)
            body["sig"] = signing.b64url(signing.sign(seed=seed, message=msg))
            forged = append_entry(s, kind="registry.party", body=body).idx
            s.connection().execute(
                sa.text("update party set credit_status = 'good' where id = 'farm'")
            )
            s.commit()
    finally:
        engine.dispose()
    rep = _audit(url)
    named = {(f.index, f.message) for f in rep.failures if f.field == "step10"}
    assert (forged, "step 10: registry.party farm: platform signature") in named, named
    assert any("party farm: credit_status differs" in m for _i, m in named)


def _entry(s: Session, idx: int) -> dict[str, Any]:
    row = s.connection().execute(
        sa.text("select record from ledger_entry where idx = :i"), {"i": idx}
    )
    out: dict[str, Any] = json.loads(bytes(row.scalar_one()))
    return out


def test_cli_changes_are_not_flagged_and_errors_are_one_line(world: Any) -> None:
    _c, url, data_dir = world
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env |= {"TRACE_DATA_DIR": str(data_dir), "TRACE_DATABASE_URL": url}

    def cli(*args: str) -> Any:
        return subprocess.run(
            [TRACECTL, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    ok = cli("registry", "device", "farm-reader", "--location", "farm-gate", "--status", "active")
    assert ok.returncode == 0, ok.stderr
    assert cli("registry", "product-owner", GTIN, "farm").returncode == 0
    assert cli("registry", "party-credit", "farm", "good", "--json").returncode == 0
    v = cli("verify", "--json")
    assert v.returncode == 0, v.stdout[-2000:]
    bad = cli("registry", "device", "nope")
    assert bad.returncode == 2 and "body" in bad.stderr and "Traceback" not in bad.stderr
    missing = cli("registry", "party-credit", "nobody", "good")
    assert missing.returncode == 1 and "nobody" in missing.stderr
    wrong = cli("registry", "product-owner", "123", "farm")
    assert wrong.returncode == 2 and "gtin" in wrong.stderr.lower()
    _sql(url, "update party set credit_status = 'serious_violation' where id = 'farm'")
    v = cli("verify")
    assert v.returncode == 1 and "step 10" in v.stdout and "party farm" in v.stdout


def test_api_refuses_bad_changes(world: Any) -> None:
    c, _url, _dir = world
    assert c.patch("/devices/farm-reader", json={"status": "active"}).status_code == 401
    r = c.patch("/devices/farm-reader", json={"status": "active"}, headers=OTHER)
    assert r.status_code == 403
    r = c.patch("/devices/farm-reader", json={}, headers=FARM)
    assert r.status_code == 400 and "body" in r.text
    r = c.patch("/devices/farm-reader", json={"status": "lost"}, headers=FARM)
    assert r.status_code in (400, 422) and "status" in r.text
    r = c.patch("/devices/farm-reader", json={"location_id": "../x"}, headers=FARM)
    assert r.status_code in (400, 422) and "location_id" in r.text
    r = c.patch("/devices/farm-reader", json={"location_id": "nowhere"}, headers=FARM)
    assert r.status_code == 404 and "nowhere" in r.text
    r = c.patch(f"/products/{GTIN}/owner", json={"party_id": "farm"}, headers=FARM)
    assert r.status_code == 403  # only the operator hands a product over
    r = c.patch("/products/123/owner", json={"party_id": "farm"}, headers=ADMIN)
    assert r.status_code == 400 and "gtin" in r.text.lower()
    r = c.patch("/parties/farm/credit", json={"credit_status": "good"}, headers=FARM)
    assert r.status_code == 403  # producers do not clear their own flag
    r = c.patch("/parties/farm/credit", json={"credit_status": "bad"}, headers=REGULATOR)
    assert r.status_code in (400, 422) and "credit_status" in r.text


def test_rows_from_before_ledgering_get_a_baseline(store_url: str, tmp_path: Path) -> None:
    """An upgraded store: rows written without entries are ledgered as a baseline on first
    start (``tracectl db upgrade``), after which an SQL edit is caught."""
    engine = create_engine(url=store_url)
    with Session(engine) as s:
        s.add(Party(id="old", name="Old party"))
        s.flush()
        s.add(Product(gtin=GTIN, name="Old", category="food", party_id="old"))
        s.commit()
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env |= {"TRACE_DATA_DIR": str(tmp_path), "TRACE_DATABASE_URL": store_url}
    up = subprocess.run(
        [TRACECTL, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert up.returncode == 0 and "ledgered as a baseline" in up.stdout, up.stderr
    rep = _audit(store_url)
    assert rep.ok, [f.to_dict() for f in rep.failures]
    assert _entries(store_url, "registry.product", GTIN)
    again = subprocess.run(
        [TRACECTL, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0 and "baseline" not in again.stdout
    _sql(store_url, "update product set party_id = 'suyuan-platform'")
    rep = _audit(store_url)
    assert [f.field for f in rep.failures] == ["step10"] and GTIN in rep.failures[0].message
    assert Device  # the platform's own device row is ledgered too
