"""``tracectl device enroll`` / ``keygen`` and ``tracectl simulate --dry-run``."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from traceability.cli.main import app
from traceability.config import get_settings
from traceability.registry import service as reg
from traceability.registry.schemas import LocationCreate, PartyCreate
from traceability.store.engine import create_engine, session_scope

runner = CliRunner()


@pytest.fixture
def store(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TRACE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TRACE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    engine = create_engine(url=sqlite_url)
    with session_scope(engine=engine) as s:
        reg.create_party(s, data=PartyCreate(id="farm", name="Farm"))
        reg.create_location(s, data=LocationCreate(id="field", name="Field", party_id="farm"))
    engine.dispose()
    yield sqlite_url
    get_settings.cache_clear()


def test_enroll_writes_a_0600_key_and_registers_device_and_key(store: str, tmp_path: Path) -> None:
    args = [
        "device",
        "enroll",
        "--id",
        "gate-1",
        "--location",
        "field",
        "--party",
        "farm",
        "--json",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    out = json.loads(first.output)
    key_file = Path(out["key_file"])
    assert out["key_file_created"] and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    engine = create_engine(url=store)
    with session_scope(engine=engine) as s:
        keys = reg.list_device_keys(s, device_id="gate-1")
    assert [k.key_id for k in keys] == [out["key_id"]]
    again = json.loads(runner.invoke(app, args).output)  # idempotent: same key, nothing new
    assert again["key_id"] == out["key_id"] and again["key"] == "already registered"
    moved = runner.invoke(
        app,
        [
            "device",
            "enroll",
            "--id",
            "gate-1",
            "--location",
            "elsewhere",
            "--party",
            "farm",
            "--json",
        ],
    )
    assert moved.exit_code == 1 and json.loads(moved.output)["error"]["code"] == "conflict"
    key_file.chmod(0o644)
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1
    assert json.loads(refused.output)["error"]["code"] == "key_file_permissions"
    engine.dispose()


def test_enroll_unknown_location_fails(store: str) -> None:
    r = runner.invoke(
        app, ["device", "enroll", "--id", "g", "--location", "nope", "--party", "farm", "--json"]
    )
    assert r.exit_code == 1 and json.loads(r.output)["error"]["code"] == "not_found"


def test_simulate_dry_run_is_deterministic() -> None:
    a = runner.invoke(app, ["simulate", "drug", "--seed", "3", "--dry-run"])
    b = runner.invoke(app, ["simulate", "drug", "--seed", "3", "--dry-run"])
    c = runner.invoke(app, ["simulate", "drug", "--seed", "4", "--dry-run"])
    assert a.exit_code == 0 and a.output == b.output and a.output != c.output
    lines = [json.loads(x) for x in a.output.splitlines()]
    assert any(x["reply"] for x in lines) and all(x["events"] for x in lines)
