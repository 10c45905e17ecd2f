"""Trace, custody, recall and equipment endpoints over the demo world on TimescaleDB (the CLI
test covers SQLite): roles, the public's one-item story, errors as 4xx, a recall that verdicts
and ``verify`` see."""

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
from tests.support.services import clone_database
from traceability.config import Settings
from traceability.ledger.audit import audit
from traceability.registry.models import Lot
from traceability.store.engine import create_engine

ADMIN = {"Authorization": "Bearer admin-secret"}
PRODUCER = {"Authorization": "Bearer farm-token"}
REGULATOR = {"Authorization": "Bearer reg-token"}


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, pg_template: str
) -> Iterator[tuple[TestClient, dict[str, Any], str, Path]]:
    data_dir = tmp_path_factory.mktemp("trace-api")
    with clone_database(pg_template, prefix="suyuan_trace") as url:
        proc = _run_with_db(["demo", "--once", "--json"], data_dir, url)
        assert proc.returncode == 0, proc.stderr[-3000:]
        samples = json.loads(proc.stdout)["samples"]
        settings = Settings(
            database_url=url,
            data_dir=data_dir,
            admin_token="admin-secret",
            api_tokens="farm-token:producer:farm,reg-token:regulator",
        )
        with TestClient(create_app(settings)) as client:
            yield client, samples, url, data_dir


def _run_with_db(args: list[str], data_dir: Path, url: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env["TRACE_DATA_DIR"] = str(data_dir)
    env["TRACE_DATABASE_URL"] = url
    return subprocess.run(
        [TRACECTL, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _lot_url(samples: dict[str, Any]) -> str:
    lot = samples["recalled_lot"]
    return f"https://id.gs1.org/01/{lot['gtin']}/10/{lot['lot']}"


def test_trace_needs_a_regulator_and_works_on_timescale(world: Any) -> None:
    client, samples, _url, _dir = world
    url = _lot_url(samples)
    assert client.get("/trace/forward", params={"id": url}).status_code == 401
    assert client.get("/trace/forward", params={"id": url}, headers=PRODUCER).status_code == 403
    r = client.get("/trace/forward", params={"id": url}, headers=REGULATOR)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["truncated"] is False and doc["ledger_indexes"]
    assert any(i["mode"] == "container" for i in doc["items"])
    back = client.get("/trace/backward", params={"id": url, "max_nodes": 2}, headers=REGULATOR)
    assert back.status_code == 200 and back.json()["truncated"] is True


def test_public_reads_one_story(world: Any) -> None:
    client, samples, _url, _dir = world
    item = client.get("/custody", params={"id": samples["recalled_item_url"]})
    assert item.status_code == 200 and item.json()["steps"], item.text
    r = client.get("/custody", params={"id": _lot_url(samples), "proof": True})
    assert r.status_code == 200, r.text
    steps = r.json()["steps"]
    assert r.json()["truncated"] is False
    assert steps and all(s["signature"] == "verified" for s in steps)
    assert all(s["proof"]["hashes"] for s in steps)
    assert any(s["disposition"] == "recalled" for s in steps)
    unit = client.get(f"/equipment/{samples['overdue_equipment']}")
    assert unit.status_code == 200 and unit.json()["overdue"] == ["maintenance"]
    assert client.get("/equipment/overdue").status_code == 401
    assert client.get("/recalls").status_code == 401


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/custody", {"id": "urn:epc:id:sgtin:0614141.812345.6789"}, 404, "id"),
        ("/custody", {"id": "(01)1234"}, 400, "id"),
        ("/custody", {"id": "\x00"}, 400, "query.id"),  # the request guard, before any route
        ("/trace/forward", {"id": "(01)1234"}, 400, "id"),
        ("/trace/forward", {"location": "urn:epc:id:sgln:1.2.3"}, 400, "from"),
        ("/trace/sideways", {"id": "x"}, 422, None),
        ("/equipment/311050107209999999", {}, 404, "code"),
        ("/recalls/RC-NOPE", {}, 404, "recall_id"),
    ],
)
def test_bad_input_is_4xx(
    world: Any, path: str, params: dict[str, str], status: int, field: str | None
) -> None:
    client = world[0]
    r = client.get(path, params=params, headers=REGULATOR)
    assert r.status_code == status, r.text
    if field is not None:
        assert r.json()["error"]["field"] == field


def test_recall_via_api_is_ledgered_and_flags_the_lot(world: Any) -> None:
    client, samples, url, _dir = world
    engine = create_engine(url=url)
    with Session(engine) as s:
        lot = s.exec(sa.select(Lot).where(Lot.recalled.is_(False))).first()  # type: ignore[attr-defined,call-overload]
    assert lot is not None
    lot = lot[0] if isinstance(lot, sa.Row) else lot
    body = {
        "lots": [{"gtin": lot.gtin, "lot": lot.lot}],
        "level": "CN-II",
        "reason": "label error",
        "opened_by": "cq-amr",
    }
    assert client.post("/recalls", json=body, headers=PRODUCER).status_code == 403
    r = client.post("/recalls", json=body, headers=REGULATOR)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["start_by"] is not None
    assert client.post("/recalls", json={**body, "level": "X"}, headers=REGULATOR).status_code in (
        400,
        422,
    )
    report = client.get(f"/recalls/{rid}", headers=REGULATOR)
    assert report.status_code == 200 and report.json()["recall"]["id"] == rid
    html = client.get(f"/recalls/{rid}/report.html", headers=REGULATOR)
    assert html.status_code == 200 and rid in html.text
    overdue = client.get("/equipment/overdue", headers=REGULATOR).json()["overdue"]
    assert [u["equipment_code"] for u in overdue] == [samples["overdue_equipment"]]
    with Session(engine) as s:
        assert s.get(Lot, (lot.gtin, lot.lot)).recalled is True  # type: ignore[union-attr]
        assert audit(s).ok
        s.connection().execute(sa.text("delete from recall where id = :i"), {"i": rid})
        rep = audit(s)
        s.rollback()
    engine.dispose()
    assert not rep.ok and "no recall row" in rep.failures[0].message
