"""`tracectl id check --json` against cases computed independently from the published rules.

The expected values come from :mod:`tests.conformance.independent`, which does not import the
implementation. Every case runs through the real CLI (Typer's runner on the root app); a few
also run through the installed ``tracectl`` executable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import typer

from tests.conformance.independent import GS, Case, generate, mod10
from traceability.cli.main import app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TODAY = dt.date.today()
CASES = generate(today=TODAY)
# Build the Click command once: Typer's test runner rebuilds it on every call (~25 ms).
COMMAND = typer.main.get_command(app)
TRACECTL = Path(sys.executable).with_name("tracectl")


def _case_id(case: Case) -> str:
    shown = case.input.replace(GS, "<GS>")
    return f"{case.note or 'case'}:{shown[:60]}"


def run_cli(code: str) -> tuple[int, dict[str, Any]]:
    """``tracectl id check --json CODE`` in-process: (exit status, JSON document)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = COMMAND.main(
            args=["id", "check", "--json", code], prog_name="tracectl", standalone_mode=False
        )
    doc: dict[str, Any] = json.loads(out.getvalue())
    return int(rc or 0), doc


def _epc_keys(urn: str) -> dict[str, str]:
    """GS1 keys of an EPC pure identity URN (TDS 2.x), any company prefix length."""
    scheme, _, rest = urn.removeprefix("urn:epc:id:").partition(":")
    parts = rest.split(".")
    if scheme == "sgtin":
        cp, ir, serial = parts[0], parts[1], unquote(".".join(parts[2:]))
        body = ir[0] + cp + ir[1:]
        return {"01": body + mod10(body), "21": serial}
    if scheme == "sscc":
        cp, sr = parts
        body = sr[0] + cp + sr[1:]
        return {"00": body + mod10(body)}
    if scheme == "sgln":
        cp, lr, ext = parts[0], parts[1], unquote(".".join(parts[2:]))
        return {"414": cp + lr + mod10(cp + lr), "254": ext}
    if scheme == "giai":
        return {"8004": parts[0] + unquote(".".join(parts[1:]))}
    raise AssertionError(f"unexpected EPC scheme in {urn}")


def _same(key: str, got: str | None, want: str) -> bool:
    """Equal; for a Digital Link the data attributes may come in any order (URI syntax 4.10
    prescribes the order of the path elements only)."""
    if got is None or key != "digital_link":
        return got == want
    got_path, _, got_query = got.partition("?")
    want_path, _, want_query = want.partition("?")
    return got_path == want_path and sorted(got_query.split("&")) == sorted(want_query.split("&"))


def compare(case: Case, rc: int, doc: dict[str, Any]) -> list[str]:
    """Differences between the CLI's document and the independent expectation."""
    diffs: list[str] = []
    for key in ("input", "valid", "kind", "alternatives", "normalized", "errors"):
        if key not in doc:
            diffs.append(f"JSON lacks {key!r}")
    if diffs:
        return diffs
    if doc["input"] != case.input:
        diffs.append(f"input echoed as {doc['input']!r}")
    if doc["valid"] is not case.valid:
        diffs.append(f"valid={doc['valid']} expected {case.valid} (errors: {doc['errors']})")
    if rc != (0 if case.valid else 1):
        diffs.append(f"exit status {rc}, expected {0 if case.valid else 1}")
    if case.valid:
        got = {doc["kind"], *doc["alternatives"]}
        if got != set(case.kinds):
            diffs.append(f"kinds {sorted(got, key=str)} expected {sorted(case.kinds)}")
        if doc["errors"]:
            diffs.append(f"valid but errors {doc['errors']}")
        norm = doc["normalized"]
        for key, want in case.normalized.items():
            if not _same(key, norm.get(key), want):
                diffs.append(f"normalized[{key}]={norm.get(key)!r} expected {want!r}")
        if case.epc_gs1 is not None and "epc_urn" in norm and "epc_urn" not in case.normalized:
            got_keys = _epc_keys(norm["epc_urn"])
            want_keys = dict(case.epc_gs1)
            if got_keys.get("254") == "0" and "254" not in want_keys:
                want_keys["254"] = "0"
            if got_keys != want_keys:
                diffs.append(f"epc_urn {norm['epc_urn']} encodes {got_keys}, expected {want_keys}")
    else:
        if case.kinds and doc["kind"] not in case.kinds:
            diffs.append(f"kind {doc['kind']!r} expected one of {sorted(case.kinds)}")
        if not doc["errors"]:
            diffs.append("invalid but no errors listed")
    return diffs


def test_enough_cases() -> None:
    assert len(CASES) >= 300
    assert sum(c.valid for c in CASES) > 100
    assert sum(not c.valid for c in CASES) > 50


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_id_check_agrees(case: Case) -> None:
    rc, doc = run_cli(case.input)
    diffs = compare(case, rc, doc)
    assert not diffs, f"{case.input!r} ({case.note}):\n  " + "\n  ".join(diffs)


@pytest.mark.skipif(not TRACECTL.exists(), reason="tracectl executable is not installed")
def test_installed_executable_agrees() -> None:
    """The console script (what an outside party runs) gives the same answers."""
    # one call: the executable's start-up (imports every command) costs seconds
    picks = [c for c in CASES if c.note == "SSCC and USCC"][:1]
    for case in picks:
        proc = subprocess.run(
            [str(TRACECTL), "id", "check", "--json", case.input],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        diffs = compare(case, proc.returncode, json.loads(proc.stdout))
        assert not diffs, f"{case.input!r}: {diffs}"
