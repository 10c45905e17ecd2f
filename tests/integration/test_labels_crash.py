"""A print run killed with SIGKILL halfway: no label on disk whose serial is not in the ledger,
the run reports what was committed, and resuming finishes it without commissioning twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, select

from label_printing import run_status
from label_printing.commission import sgtin
from label_printing.models import LabelRun
from traceability.ledger import audit
from traceability.store.engine import create_engine
from traceability.store.models import EventRow

REPO = Path(__file__).resolve().parents[2]
GTIN = "09506000134352"
COUNT = 1500


def _env(store_url: str, data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TRACE_DATABASE_URL": store_url,
        "TRACE_DATA_DIR": str(data),
        "TRACE_LABELS_CHUNK": "25",
    }


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "traceability.cli.main", "labels", *args]


def _serial_of(path: Path) -> str:
    return path.stem.split("-", 1)[1]


def test_kill_9_mid_run_then_resume(store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = _env(store_url, tmp_path / "data")
    proc = subprocess.Popen(
        _cli("print", "--gtin", GTIN, "--lot", "K9", "--expiry", "2027-05-31",
             "--count", str(COUNT), "--format", "png", "--out", str(out)),
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if out.exists() and len(list(out.glob("*.png"))) >= 100:
            break
        if proc.poll() is not None:
            pytest.fail(f"the run ended before it could be killed: {proc.stderr.read()!r}")  # type: ignore[union-attr]
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    printed = {_serial_of(p) for p in out.glob("*.png")}
    assert 100 <= len(printed) < COUNT

    eng = create_engine(url=store_url)
    try:
        with Session(eng) as s:
            (run,) = s.exec(select(LabelRun)).all()
            status = run_status(s, run_id=run.id)
            ledgered = Counter(
                e
                for r in s.exec(select(EventRow).where(EventRow.biz_step == "commissioning"))
                for e in r.body["epcList"]
            )
        assert status["status"] == "allocated"  # not finished
        committed = set(status["committed"])
        assert printed <= committed  # every label on disk is recorded...
        assert {sgtin(GTIN, s) for s in committed} == set(ledgered)  # ...in the ledger
        assert len(committed) + len(status["pending"]) == COUNT

        # the CLI reports the committed serials of the interrupted run
        shown = subprocess.run(
            _cli("status", run.id, "--json"), cwd=REPO, env=env, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        assert set(json.loads(shown.stdout)["committed"]) == committed

        done = subprocess.run(
            _cli("resume", run.id, "--out", str(out), "--json"),
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        with Session(eng) as s:
            final = run_status(s, run_id=run.id)
            again = Counter(
                e
                for r in s.exec(select(EventRow).where(EventRow.biz_step == "commissioning"))
                for e in r.body["epcList"]
            )
            assert audit.audit(s).ok
        assert final["status"] == "done" and len(final["printed"]) == COUNT
        assert len({_serial_of(p) for p in out.glob("*.png")}) == COUNT
        assert set(again.values()) == {1}  # each serial commissioned exactly once
        assert len(again) == COUNT
    finally:
        eng.dispose()
