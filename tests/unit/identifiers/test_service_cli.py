from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from traceability.cli.id_cmd import app
from traceability.identifiers import check

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.parametrize(
    ("code", "kind", "alternatives"),
    [
        ("09506000134352", "gtin", []),
        ("4006381333931", "gtin", ["gln"]),
        ("106141412345678908", "sscc", []),
        ("91350100M000100Y43", "uscc", []),
        ("]d20109506000134352172512001012345", "element_string", []),
        ("(01)80614141123458(21)6789", "element_string", []),
        ("https://example.com/01/09506000134352/21/A1", "digital_link", []),
        ("urn:epc:id:sgtin:0614141.812345.6789", "epc_urn", []),
        ("3074257BF7194E4000001A85", "epc_hex", []),
        ("81234567890123456789", "cn_drug_code", []),
        ("311010001201800123", "cn_equipment_code", []),
    ],
)
def test_check_identifies(code: str, kind: str, alternatives: list[str]) -> None:
    r = check(code)
    assert r.valid, r.errors
    assert r.kind == kind
    assert r.alternatives == alternatives


def test_18_digits_can_be_sscc_and_uscc() -> None:
    # Build an all-digit USCC whose last digit is also a valid SSCC check digit.
    from traceability.identifiers.cn import org_code_check_char, uscc_check_char
    from traceability.identifiers.gs1 import gtin_check_digit

    dual = None
    for n in range(10_000):
        body8 = f"{n:08d}"
        s17 = "91350100" + body8 + org_code_check_char(body8)
        code = s17 + uscc_check_char(s17)
        if code.isdigit() and code[-1] == gtin_check_digit(code[:-1]):
            dual = code
            break
    assert dual is not None
    r = check(dual)
    assert r.valid
    assert r.kind == "sscc"
    assert "uscc" in r.alternatives


def test_normalized_for_datamatrix() -> None:
    r = check("]d20109506000134352172502001012345\x1d21ABC")
    assert r.normalized["gtin"] == "09506000134352"
    assert r.normalized["expiry"] == "2025-02-28"
    assert r.normalized["lot"] == "12345"
    assert r.normalized["serial"] == "ABC"
    assert r.normalized["digital_link"] == (
        "https://id.gs1.org/01/09506000134352/10/12345/21/ABC?17=250200"
    )


def test_invalid_results() -> None:
    r = check("09506000134355")
    assert not r.valid
    assert r.kind == "gtin"
    assert [(e.code, e.message) for e in r.errors] == [
        ("check_digit", "GTIN check digit should be 2, got 5")
    ]
    r = check("91350100M000100Y44")
    assert (r.kind, r.valid, r.warn_only) == ("uscc", False, True)
    assert check("hello").kind is None
    assert check("hello").errors[0].code == "unrecognized"
    assert check("  ").errors[0].code == "empty"


def test_cli_json_valid() -> None:
    result = runner.invoke(app, ["check", "3074257BF7194E4000001A85", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert list(doc)[:6] == ["input", "valid", "kind", "alternatives", "normalized", "errors"]
    assert doc["kind"] == "epc_hex"
    assert doc["normalized"]["epc_urn"] == "urn:epc:id:sgtin:0614141.812345.6789"
    assert doc["normalized"]["gtin"] == "80614141123458"
    assert doc["normalized"]["serial"] == "6789"
    assert doc["errors"] == []


def test_cli_json_invalid_and_text() -> None:
    uri = "https://x.example/01/09506000134352/21/1/10/2"
    result = runner.invoke(app, ["check", uri, "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert doc["errors"][0]["code"] == "qualifier_order"
    text = runner.invoke(app, ["check", "91350100M000100Y43"])
    assert text.exit_code == 0
    assert "uscc" in text.stdout


def test_cli_usage_error() -> None:
    assert runner.invoke(app, ["check"]).exit_code == 2
