from __future__ import annotations

import pytest

from traceability.identifiers import IdentifierError, parse_digital_link, to_digital_link

# Examples follow the GS1 Digital Link standard 1.x (GTIN 09506000134352, lot ABC123, ...).


def test_any_domain_and_prefix_to_canonical() -> None:
    dl = parse_digital_link(
        "https://brand.example.com/some/prefix/01/9506000134352/10/ABC%2F1/21/12345?17=251200"
        "&linkType=gs1:pip"
    )
    assert dl.primary == ("01", "09506000134352")
    assert dl.qualifiers == (("10", "ABC/1"), ("21", "12345"))
    assert dl.attributes == (("17", "251200"),)
    assert dl.domain == "https://brand.example.com/some/prefix"
    assert dl.extras == {"linkType": "gs1:pip"}
    assert dl.canonical == ("https://id.gs1.org/01/09506000134352/10/ABC%2F1/21/12345?17=251200")


def test_convenience_alphas() -> None:
    dl = parse_digital_link("https://x.example/gtin/09506000134352/lot/A1/ser/9?exp=260101")
    assert dl.elements == (
        ("01", "09506000134352"),
        ("10", "A1"),
        ("21", "9"),
        ("17", "260101"),
    )


def test_other_primary_keys() -> None:
    assert parse_digital_link("https://id.gs1.org/00/106141412345678908").primary == (
        "00",
        "106141412345678908",
    )
    dl = parse_digital_link("https://id.gs1.org/414/0614141123452/254/400")
    assert dl.qualifiers == (("254", "400"),)
    dl = parse_digital_link("https://id.gs1.org/8006/095060001343520102/10/L1")
    assert dl.primary[0] == "8006"


@pytest.mark.parametrize(
    ("uri", "code"),
    [
        ("https://x.example/01/09506000134353", "check_digit"),  # biip would accept this
        ("https://x.example/01/09506000134352/21/1/10/2", "qualifier_order"),
        ("https://x.example/01/09506000134352/21/1/22/2", "qualifier_order"),
        ("https://x.example/01/09506000134352/17/251212", "ai_misplaced"),
        ("https://x.example/01/09506000134352?21=5", "ai_misplaced"),
        ("https://x.example/00/106141412345678908/21/5", "invalid_qualifier"),
        ("https://x.example/414/0614141123452/10/1", "invalid_qualifier"),
        ("https://x.example/414/0614141123452/254/1/7040/1A234", "invalid_qualifier"),
        ("https://x.example/01/09506000134352/10/%zz", "bad_percent_encoding"),
        ("https://x.example/01/09506000134352?17=251301", "invalid_date"),
        ("https://x.example/01/09506000134352?9999=1", "unknown_ai"),
        ("https://x.example/products/123", "invalid_uri"),
        ("ftp://x.example/01/09506000134352", "invalid_uri"),
    ],
)
def test_invalid_digital_links(uri: str, code: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        parse_digital_link(uri)
    assert exc.value.code == code


def test_qualifier_order_message_names_expected_order() -> None:
    with pytest.raises(IdentifierError) as exc:
        parse_digital_link("https://x.example/01/09506000134352/21/1/10/2")
    assert "22 -> 10 -> 21" in exc.value.message


def test_to_digital_link_orders_qualifiers_and_pads_gtin() -> None:
    uri = to_digital_link({"21": "S/1", "17": "251231", "10": "L1", "01": "9506000134352"})
    assert uri == "https://id.gs1.org/01/09506000134352/10/L1/21/S%2F1?17=251231"
    assert (
        to_digital_link({"01": "09506000134352"}, domain="https://example.com/dl/")
        == "https://example.com/dl/01/09506000134352"
    )
    with pytest.raises(IdentifierError) as exc:
        to_digital_link({"10": "L1"})
    assert exc.value.code == "invalid_value"
