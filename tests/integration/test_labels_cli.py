"""``tracectl labels print`` as a user runs it: one-line errors naming the field with exit 2 and
no serial consumed; a good run prints its JSON and the labels decode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.barcodes import decode_png
from traceability.store.engine import create_engine

TRACECTL = str(Path(sys.executable).with_name("tracectl"))
GOOD = ["--gtin", "09506000134352", "--lot", "L1", "--expiry", "2027-01-31", "--count", "3",
        "--format", "png"]  # fmt: skip


def _run(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env["TRACE_DATA_DIR"] = str(data)
    env["TRACE_LABELS_MAX_COUNT"] = "50"
    return subprocess.run([TRACECTL, "labels", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def _serials(data: Path) -> int:
    db = data / "suyuan.db"
    if not db.exists():
        return 0
    eng = create_engine(url=f"sqlite:///{db}")
    with eng.connect() as c:
        n = int(c.execute(sa.text("select count(*) from label_serial")).scalar() or 0)
    eng.dispose()
    return n


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--gtin", "09506000134353", "gtin"),
        ("--lot", "a b", "lot"),
        ("--lot", "x" * 21, "lot"),
        ("--expiry", "31/01/2027", "expiry"),
        ("--count", "0", "count"),
        ("--count", "51", "count"),
        ("--count", str(10**30), "count"),
        ("--format", "tiff", "format"),
    ],
)
def test_bad_argument_one_line_exit_2(tmp_path: Path, flag: str, value: str, field: str) -> None:
    args = list(GOOD)
    args[args.index(flag) + 1] = value
    proc = _run(["print", *args, "--out", str(tmp_path / "out")], tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}: ")
    assert _serials(tmp_path) == 0


def test_out_not_writable_consumes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = _run(["print", *GOOD, "--out", str(blocker / "sub")], tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("error: out: ")
    assert _serials(tmp_path) == 0


def test_print_json_and_files(tmp_path: Path) -> None:
    proc = _run(["print", *GOOD, "--serials", "sequential", "--out", str(tmp_path / "o"),
                 "--json"], tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["serials"] == ["1", "2", "3"]
    got = [t for f in doc["files"] for _, t in decode_png(Path(f))]
    assert got == [
        f"https://id.gs1.org/01/09506000134352/10/L1/21/{s}?17=270131" for s in ("1", "2", "3")
    ]
    missing = _run(["status", "f" * 32], tmp_path)
    assert missing.returncode == 1 and "no label run" in missing.stderr


def test_pallet_labels_get_fresh_ssccs(tmp_path: Path) -> None:
    from traceability.identifiers import validate_sscc

    args = ["pallet", "--company-prefix", "0614141", "--gtin", "09506000134352", "--lot", "L1",
            "--expiry", "2027-01-31", "--items", "48", "--count", "2", "--out",
            str(tmp_path / "p"), "--json"]  # fmt: skip
    first = json.loads(_run(args, tmp_path).stdout)
    second = json.loads(_run(args, tmp_path).stdout)
    ssccs = first["ssccs"] + second["ssccs"]
    assert len(set(ssccs)) == 4 and all(validate_sscc(s) for s in ssccs)
    text = Path(first["file"]).read_text()
    assert text.count("^XA") == 2 and all(f">;>800{s}" in text for s in first["ssccs"])
    bad = _run([*args[:2], "06141", *args[3:]], tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("error: company_prefix: ")
