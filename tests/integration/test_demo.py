"""``tracectl demo --once --json`` on the embedded default, and what it leaves behind checks out."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from traceability.identifiers import check

TRACECTL = str(Path(sys.executable).with_name("tracectl"))


def _run(args: list[str], data_dir: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env["TRACE_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [TRACECTL, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("demo")
    proc = _run(["demo", "--once", "--json"], data_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return data_dir, json.loads(proc.stdout)


def test_demo_summary(demo: tuple[Path, dict[str, Any]]) -> None:
    data_dir, summary = demo
    assert summary["store"] == f"sqlite:///{(data_dir / 'suyuan.db').resolve()}"
    assert summary["broker"].startswith("mqtt://127.0.0.1:")
    created = summary["registered"]["created"]
    assert created["party"] >= 5 and created["device"] >= 9 and created["product"] >= 3
    published, stored = summary["published"], summary["stored"]
    assert published["events"] > 100
    assert stored["new_events"] == published["events"]  # nothing lost, nothing twice
    assert stored["dead_letters"] == 0
    assert summary["ledger_size"] >= published["events"]
    sites = summary["devices_by_site"]
    assert all(sites[kind] for kind in ("produce", "drug", "equipment"))
    assert summary["verdicts"].get("ok", 0) >= 1


def test_demo_prints_labels(demo: tuple[Path, dict[str, Any]]) -> None:
    from tests.unit.label_printing.decode import decode_png

    labels = demo[1]["labels"]
    produce, drug = labels["produce"], labels["drug"]
    assert produce["count"] == drug["count"] == 4 and len(produce["ledger_indexes"]) == 1
    links = sorted(t for f in produce["files"] for _, t in decode_png(Path(f)))
    assert [link.rsplit("/21/", 1)[1].split("?")[0] for link in links] == sorted(produce["serials"])
    assert Path(drug["files"][0]).read_text().count("^FDQA,") == 4


def test_demo_samples(demo: tuple[Path, dict[str, Any]]) -> None:
    _data_dir, summary = demo
    samples = summary["samples"]
    gtin = check(samples["product_gtin"])
    assert gtin.valid and gtin.kind == "gtin"
    assert re.fullmatch(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0", samples["event_id"])
    assert check(samples["recalled_lot"]["gtin"]).valid
    lines = summary["checkpoint"].splitlines()
    assert lines[1] == str(summary["ledger_size"])


def test_demo_store_audits_and_receipt_verifies_offline(
    demo: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    data_dir, summary = demo
    audit = _run(["verify"], data_dir)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    receipt = tmp_path / "receipt.txt"
    made = _run(
        ["ledger", "receipt", summary["samples"]["event_id"], "--out", str(receipt)], data_dir
    )
    assert made.returncode == 0, made.stderr
    key = _run(["ledger", "key"], data_dir).stdout.strip()
    # verification needs no store: run it from an empty data dir
    checked = _run(["ledger", "verify-receipt", str(receipt), "--log-key", key], tmp_path / "x")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tampered = tmp_path / "tampered.txt"
    text = receipt.read_text().splitlines(keepends=True)
    index_line = next(i for i, ln in enumerate(text) if ln.startswith("index "))
    n = int(text[index_line].split()[1])
    text[index_line] = f"index {n + 1}\n"
    tampered.write_text("".join(text))
    refused = _run(["ledger", "verify-receipt", str(tampered), "--log-key", key], tmp_path / "x")
    assert refused.returncode == 1
