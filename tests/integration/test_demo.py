"""``tracectl demo --once --json`` on the embedded default, and what it leaves behind checks out."""

from __future__ import annotations

import itertools
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
    from tests.support.barcodes import decode_png

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


def test_demo_once_prints_no_urls_and_a_receipt_it_made(
    demo: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """Issue 12 item 18: ``--once`` runs no server, so it lists none of its URLs; the receipt
    of the sample event is written, and it verifies offline with the log key it names."""
    _data_dir, summary = demo
    assert "urls" not in summary
    receipt = summary["receipt"]
    assert Path(receipt["file"]).is_file()
    checked = _run(
        ["ledger", "verify-receipt", receipt["file"], "--log-key", receipt["log_key"], "--json"],
        tmp_path / "empty",
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["event_hash"] == summary["samples"]["event_id"]


def test_demo_guide_commands_work_as_printed(tmp_path: Path) -> None:
    """The text the demo prints ends with commands to try; the first verifies the receipt and
    runs exactly as printed, and no URL of a server that is not running is listed."""
    import shlex

    data_dir = tmp_path / "d"
    proc = _run(["demo", "--once"], data_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "http://" not in out and "curl" not in out
    lines = out.splitlines()
    start = lines.index("Try next:")
    commands = [
        ln.strip() for ln in lines[start + 1 :] if ln.strip() and not ln.strip().startswith("#")
    ]
    verify = next(c for c in commands if " ledger verify-receipt " in c)
    argv = shlex.split(verify)
    checked = _run(argv[1:], tmp_path / "empty")  # the printed program is tracectl
    assert checked.returncode == 0, checked.stdout + checked.stderr
    audit = shlex.split(next(c for c in commands if c.endswith(" verify")))
    assert audit[0] == f"TRACE_DATA_DIR={data_dir.resolve()}"
    ran = _run(audit[2:], data_dir)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_demo_serves_the_urls_it_lists(tmp_path: Path) -> None:
    """Served: every URL printed answers; the protected ones with the token printed."""
    import shlex
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env["TRACE_DATA_DIR"] = str(tmp_path / "d")
    proc = subprocess.Popen(
        [TRACECTL, "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.strip().startswith("curl") and "/metrics" in line:
                break
        curls = [
            shlex.split(ln.strip().split("#")[0]) for ln in lines if ln.strip().startswith("curl")
        ]
        assert len(curls) >= 5, lines
        for argv in curls:
            headers = dict(h.split(": ", 1) for flag, h in itertools.pairwise(argv) if flag == "-H")
            url = argv[-1]
            assert url.startswith(f"http://127.0.0.1:{port}/"), url
            req = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert resp.status == 200, url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_demo_refuses_a_taken_port_at_once(tmp_path: Path) -> None:
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        t0 = time.monotonic()
        proc = _run(["demo", "--port", str(port)], tmp_path / "d", timeout=60)
        took = time.monotonic() - t0
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr
    assert took < 30
    assert not (tmp_path / "d" / "suyuan.db").exists()  # refused before the run
