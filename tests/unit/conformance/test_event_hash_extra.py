"""`tracectl epcis hash` on published CBV 2.0 event-hash vectors that are not in shared/.

The vectors (tests/vectors/event-hash-extra, see its README) are the current expected output of
the reference implementation RalphTro/epcis-event-hash-generator. Each document's hashes are
compared line by line with the CLI's output; where upstream publishes pre-hash strings they are
compared with :func:`traceability.events.prehash_string`, and a failure names the first place
where the strings part.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import typer

from traceability.cli.main import app
from traceability.events import prehash_string

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "event-hash-extra"
DOCUMENTS = sorted(p for p in VECTORS.iterdir() if p.suffix in (".json", ".jsonld"))
COMMAND = typer.main.get_command(app)


def cli_hashes(path: Path) -> list[str]:
    """``tracectl epcis hash PATH``, in-process; its output lines."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = COMMAND.main(
            args=["epcis", "hash", str(path)], prog_name="tracectl", standalone_mode=False
        )
    assert not rc, f"tracectl epcis hash {path.name} exited {rc}"
    return out.getvalue().splitlines()


def expected_lines(path: Path, suffix: str) -> list[str] | None:
    f = path.with_suffix(suffix)
    return f.read_text(encoding="utf-8").splitlines() if f.exists() else None


def first_difference(expected: str, computed: str, width: int = 90) -> str:
    i = next(
        (k for k, (a, b) in enumerate(zip(expected, computed, strict=False)) if a != b),
        min(len(expected), len(computed)),
    )
    start = max(0, i - 40)
    return (
        f"first difference at character {i}:\n"
        f"    expected: ...{expected[start : i + width]!r}\n"
        f"    computed: ...{computed[start : i + width]!r}"
    )


def test_vectors_present() -> None:
    assert len(DOCUMENTS) >= 3
    for doc in DOCUMENTS:
        assert expected_lines(doc, ".hashes"), f"{doc.name} has no .hashes"


def test_published_prehashes_are_consistent() -> None:
    """Every upstream pre-hash line hashes to the upstream hash (the vectors are coherent)."""
    for doc in DOCUMENTS:
        pre = expected_lines(doc, ".prehashes")
        hashes = expected_lines(doc, ".hashes")
        if pre is None or hashes is None:
            continue
        for line, h in zip(pre, hashes, strict=True):
            digest = hashlib.sha256(line.encode("utf-8")).hexdigest()
            assert h == f"ni:///sha-256;{digest}?ver=CBV2.0", doc.name


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: p.name)
def test_cli_hashes_match(doc: Path) -> None:
    expected = expected_lines(doc, ".hashes")
    assert expected is not None
    computed = cli_hashes(doc)
    problems = []
    if len(computed) != len(expected):
        problems.append(f"{len(computed)} hashes for {len(expected)} events")
    for i, (want, got) in enumerate(zip(expected, computed, strict=False)):
        if want != got:
            problems.append(f"event {i}: expected {want}\n             computed {got}")
    assert not problems, f"{doc.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(
    "doc", [d for d in DOCUMENTS if d.with_suffix(".prehashes").exists()], ids=lambda p: p.name
)
def test_prehash_strings_match(doc: Path) -> None:
    expected = expected_lines(doc, ".prehashes")
    assert expected is not None
    data: dict[str, Any] = json.loads(doc.read_text(encoding="utf-8"))
    events = (
        data["epcisBody"].get("eventList")
        or data["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    )
    problems = []
    for i, (event, want) in enumerate(zip(events, expected, strict=True)):
        got = prehash_string(event, context=data.get("@context"))
        if got != want:
            problems.append(f"event {i}: {first_difference(want, got)}")
    assert not problems, f"{doc.name}:\n  " + "\n  ".join(problems)
