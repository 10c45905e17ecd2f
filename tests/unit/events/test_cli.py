"""``tracectl epcis hash|validate`` through typer's CliRunner."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.support.vectors import EXAMPLES_DIR, HASH_DIR, TAMPERED_DIR
from traceability.cli.main import app

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
