"""``tracectl epcis hash|validate`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.vectors import EXAMPLES_DIR, HASH_DIR, TAMPERED_DIR, load
from traceability.cli.main import app
from traceability.config import get_settings

runner = CliRunner()


def test_hash_prints_one_line_per_event() -> None:
    doc = HASH_DIR / "TimeStampRoundOff.jsonld"
    result = runner.invoke(app, ["epcis", "hash", str(doc)])
    assert result.exit_code == 0, result.output
    want = (HASH_DIR / "TimeStampRoundOff.hashes").read_text().split()
    assert result.output.split() == want


def test_hash_stdin_and_prehash() -> None:
    text = (HASH_DIR / "epcisDocWithSingleEvent.jsonld").read_text()
    result = runner.invoke(app, ["epcis", "hash", "--prehash", "-"], input=text)
    assert result.exit_code == 0
    assert (
        result.output.strip()
        == (HASH_DIR / "epcisDocWithSingleEvent.prehashes").read_text().strip()
    )


def test_validate_valid_document() -> None:
    result = runner.invoke(
        app, ["epcis", "validate", str(EXAMPLES_DIR / "Example_9.6.1-ObjectEvent.jsonld")]
    )
    assert result.exit_code == 0
    assert "valid" in result.output


def test_validate_reports_event_and_field() -> None:
    result = runner.invoke(
        app, ["epcis", "validate", str(TAMPERED_DIR / "wrong-gtin-check-digit.json")]
    )
    assert result.exit_code == 1
    assert (
        "event 1" in result.output
        and "epcList[0]" in result.output
        and "check_digit" in result.output
    )


def test_validate_json_and_rules() -> None:
    path = str(TAMPERED_DIR / "lot-assigned-at-shipping.json")
    ok = runner.invoke(app, ["epcis", "validate", "--json", path])
    assert ok.exit_code == 0 and json.loads(ok.output)["valid"] is True
    bad = runner.invoke(app, ["epcis", "validate", "--json", "--rules", "fsma204", path])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["issues"][0]["code"] == "fsma204_tlc_assignment"


def test_usage_and_unreadable_exit_2(tmp_path: object) -> None:
    assert runner.invoke(app, ["epcis", "validate", "/nonexistent/doc.json"]).exit_code == 2
    assert runner.invoke(app, ["epcis", "hash", "-"], input="{not json").exit_code == 2
    assert runner.invoke(app, ["epcis", "hash", "-"], input="[1, 2]").exit_code == 2
    assert (
        runner.invoke(app, ["epcis", "hash", "-"], input='{"type": "EPCISDocument"}').exit_code == 2
    )
    assert (
        runner.invoke(app, ["epcis", "validate", "--rules", "nope", "-"], input="{}").exit_code == 2
    )
    assert runner.invoke(app, ["epcis", "hash"]).exit_code == 2


def test_validate_flags_times_by_the_gateway_rule(tmp_path: Path) -> None:
    """Issue 12 item 3: year 0001 is before the floor, year 9999 beyond the clock skew."""
    doc = load(TAMPERED_DIR / "event-time-year-0001.json")
    events = doc["epcisBody"]["eventList"]
    events.append({**events[0], "eventTime": "9999-12-31T23:59:59-01:00"})
    path = tmp_path / "times.json"
    path.write_text(json.dumps(doc))
    result = runner.invoke(app, ["epcis", "validate", "--json", str(path)])
    assert result.exit_code == 1, result.output
    got = {(i["event"], i["path"], i["code"]) for i in json.loads(result.output)["issues"]}
    assert got == {(0, "eventTime", "time_before_floor"), (1, "eventTime", "clock_skew")}


def test_validate_floor_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_TIME_FLOOR", "1800-01-01T00:00:00Z")
    get_settings.cache_clear()
    path = str(TAMPERED_DIR / "event-time-1900-with-offset.json")
    try:
        result = runner.invoke(app, ["epcis", "validate", path])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
