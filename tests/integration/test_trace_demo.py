"""The issue's done-when checks on the demo world (embedded default: SQLite), via ``tracectl``:
FSMA 204 sheets with shipping rows, an EPCIS export that validates, a deleted recall row caught
by ``verify``, the overdue elevator listed, trace/custody/recall commands and their errors."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_demo import _run
from traceability.events.item_key import item_elements
from traceability.exports.fsma204 import SHEETS


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("trace-demo")
    proc = _run(["demo", "--once", "--json"], data_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return data_dir, json.loads(proc.stdout)["samples"]


def test_samples_name_the_recalled_item_and_overdue_unit(world: tuple[Path, Any]) -> None:
    data_dir, samples = world
    lot = samples["recalled_lot"]
    assert samples["recalled_item_url"].startswith(f"https://id.gs1.org/01/{lot['gtin']}/")
    url = samples["recalled_item_url"]  # a serialised item of the lot, else the lot itself
    assert "/21/" in url or f"/10/{lot['lot']}" in url
    assert len(samples["overdue_equipment"]) == 18
    proc = _run(["equipment", "overdue", "--json"], data_dir)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["overdue"]
    assert [r["equipment_code"] for r in rows] == [samples["overdue_equipment"]]
    assert rows[0]["overdue"] == ["maintenance"]
    assert rows[0]["maintenance_company"]["uscc"]


def test_fsma204_export_has_fda_sheets_with_shipping_rows(
    world: tuple[Path, Any], tmp_path: Path
) -> None:
    data_dir, samples = world
    lot = samples["recalled_lot"]
    out = tmp_path / "fsma"
    proc = _run(
        ["export", "fsma204", "--gtin", lot["gtin"], "--lot", lot["lot"], "--out", str(out)],
        data_dir,
    )
    assert proc.returncode == 0, proc.stderr
    for name in SHEETS:
        assert (out / f"{name}.csv").exists()
    with (out / "Shipping.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 2
    assert {r["Traceability Lot Code"] for r in rows} == {lot["lot"]}
    assert all(len(r["Ship Date"]) == 10 and r["Ship Date"][2] == "/" for r in rows)
    assert rows[0]["Ship-To Location - Business Name"]
    assert "Product Description - Packaging Style" in rows[0]
    with zipfile.ZipFile(out / "fsma204.xlsx") as z:
        book = z.read("xl/workbook.xml").decode()
        assert all(f'name="{n}"' in book for n in SHEETS)
        assert lot["lot"] in z.read("xl/worksheets/sheet5.xml").decode()


def test_epcis_export_validates(world: tuple[Path, Any], tmp_path: Path) -> None:
    data_dir, samples = world
    lot = samples["recalled_lot"]
    out = tmp_path / "trace.jsonld"
    proc = _run(
        ["export", "epcis", "--gtin", lot["gtin"], "--lot", lot["lot"], "--out", str(out)],
        data_dir,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(out.read_text())["epcisBody"]["eventList"]) > 10
    assert _run(["epcis", "validate", str(out)], data_dir).returncode == 0


def test_trace_custody_and_recall_commands(world: tuple[Path, Any]) -> None:
    data_dir, samples = world
    lot = samples["recalled_lot"]
    item = _run(["custody", samples["recalled_item_url"], "--json"], data_dir)
    assert item.returncode == 0 and json.loads(item.stdout)["steps"], item.stderr
    url = f"https://id.gs1.org/01/{lot['gtin']}/10/{lot['lot']}"  # the lot travels on pallets
    fwd = _run(["trace", "forward", url, "--json"], data_dir)
    assert fwd.returncode == 0, fwd.stderr
    doc = json.loads(fwd.stdout)
    assert doc["truncated"] is False
    assert any(i["mode"] == "container" for i in doc["items"])  # the pallet it travelled on
    assert {p["kind"] for p in doc["places"]} == {"location", "party"}
    assert doc["ledger_indexes"]
    back = json.loads(_run(["trace", "backward", url, "--json"], data_dir).stdout)
    # the harvested crates: serialised items, named by their item key (a Digital Link)
    assert any("21" in item_elements(i["id"]) for i in back["items"])
    cut = json.loads(
        _run(["trace", "backward", url, "--json", "--max-nodes", "2"], data_dir).stdout
    )
    assert cut["truncated"] is True and len(cut["items"]) == max(2, len(cut["start"]))
    place = next(p for p in doc["places"] if p["kind"] == "location")
    around = [
        "--location",
        place["id"],
        "--from",
        place["first_at"][:19],
        "--to",
        place["last_at"][:19],
        "--json",
    ]
    at = json.loads(_run(["trace", "forward", *around], data_dir).stdout)
    assert at["start"] and at["truncated"] is False
    assert set(at["ledger_indexes"]) & set(place["ledger_indexes"])
    nowhere = _run(
        [
            "trace",
            "forward",
            "--location",
            "urn:epc:id:sgln:0614141.00001.0",
            "--from",
            "2000-01-01",
            "--to",
            "2000-01-02",
        ],
        data_dir,
    )
    assert nowhere.returncode == 1 and "nothing seen" in nowhere.stderr
    custody = json.loads(_run(["custody", url, "--json"], data_dir).stdout)
    assert all(s["signature"] == "verified" for s in custody["steps"])
    assert any(s["disposition"] == "recalled" for s in custody["steps"])
    listed = json.loads(_run(["recall", "list", "--json"], data_dir).stdout)["recalls"]
    assert len(listed) == 1
    report = json.loads(_run(["recall", "show", listed[0]["id"], "--json"], data_dir).stdout)
    assert report["mass_balance"]["produced"] > 0
    assert report["consignees"] and report["affected"]["holders"]


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["trace", "forward", "urn:epc:id:sgtin:0614141.812345.6789"], 1, "not found"),
        (["trace", "forward", "(01)1234"], 2, "id:"),
        (["trace", "forward", "a\x01b"], 2, "id"),
        (["custody", "https://id.gs1.org/01/09506000134352/21/nope"], 1, "not found"),
        (["recall", "show", "RC-NONE"], 1, "not found"),
        (
            ["recall", "create", "--gtin", "1", "--lot", "x", "--reason", "r", "--opened-by", "me"],
            2,
            "gtin",
        ),
        (
            ["recall", "create", "--level", "CN-IV", "--reason", "r", "--opened-by", "me"],
            2,
            "level",
        ),
        (
            [
                "export",
                "epcis",
                "--gtin",
                "16937102000014",
                "--lot",
                "NOPE",
                "--out",
                "/tmp/x.json",
            ],
            1,
            "NOPE",
        ),
        (["equipment", "overdue", "--interval", "3:weekly=x"], 2, "interval"),
    ],
)
def test_bad_input(world: tuple[Path, Any], args: list[str], code: int, needle: str) -> None:
    proc = _run(args, world[0])
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_verify_catches_a_deleted_recall_and_a_cleared_lot_flag(
    world: tuple[Path, Any], tmp_path: Path
) -> None:
    data_dir, samples = world
    assert _run(["verify"], data_dir).returncode == 0
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)  # modes kept: key files must stay 0600
    db = sqlite3.connect(copy / "suyuan.db")
    db.execute("delete from recall")
    db.commit()
    proc = _run(["verify"], copy)
    assert proc.returncode == 1 and "has no recall row" in proc.stdout
    lot = samples["recalled_lot"]
    db.execute("update lot set recalled = 0 where gtin = ? and lot = ?", (lot["gtin"], lot["lot"]))
    db.commit()
    db.close()
    proc = _run(["verify", "--json"], copy)
    assert proc.returncode == 1 and "not in lot" in proc.stdout


def test_verify_catches_registry_rows_edited_in_the_demo_world(
    world: tuple[Path, Any], tmp_path: Path
) -> None:
    """The demo registers its world through the platform (ledgered registry entries): a device
    moved, a product handed over or a party's serious-violation flag cleared with SQL is named
    by ``verify`` (step 10, the subject and the field)."""
    data_dir, _samples = world
    edits = [
        (
            "update device set location_id = (select min(id) from location where id <> "
            "device.location_id) where id = (select min(id) from device where kind <> 'platform')",
            "device ",
            "location_id",
        ),
        (
            "update product set party_id = 'suyuan-platform' where gtin = (select min(gtin) "
            "from product)",
            "product ",
            "party_id",
        ),
        (
            "update party set credit_status = 'serious_violation' where id = (select min(id) "
            "from party where credit_status = 'good')",
            "party ",
            "credit_status",
        ),
    ]
    for k, (sql, subject, field) in enumerate(edits):
        copy = tmp_path / f"copy{k}"
        shutil.copytree(data_dir, copy)  # modes kept: key files must stay 0600
        db = sqlite3.connect(copy / "suyuan.db")
        db.execute(sql)
        db.commit()
        db.close()
        proc = _run(["verify", "--json"], copy)
        assert proc.returncode == 1, proc.stdout[-2000:]
        failures = json.loads(proc.stdout)["failures"]
        assert [f["field"] for f in failures] == ["step10"], failures
        assert subject in failures[0]["message"] and field in failures[0]["message"]
