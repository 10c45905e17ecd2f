from __future__ import annotations

import pytest

from traceability.identifiers import (
    IdentifierError,
    gtin_check_digit,
    validate_gln,
    validate_gtin,
    validate_sscc,
)

# Public vectors:
#  09506000134352 - GS1 Digital Link standard examples (GS1 test GTIN)
#  4006381333931  - EAN-13 example, Wikipedia "International Article Number"
#  036000291452   - UPC-A example, Wikipedia "Universal Product Code"
#  96385074       - EAN-8 example, Wikipedia "EAN-8"
#  80614141123458 - GS1 EPC TDS 2.x SGTIN example
#  106141412345678908 - GS1 EPC TDS 2.x SSCC example
#  0614141123452  - GS1 EPC TDS 2.x SGLN example (GLN)


@pytest.mark.parametrize(
    ("gtin", "as14"),
    [
        ("09506000134352", "09506000134352"),
        ("4006381333931", "04006381333931"),
        ("036000291452", "00036000291452"),
        ("96385074", "00000096385074"),
        ("80614141123458", "80614141123458"),
    ],
)
def test_valid_gtins_normalise_to_14(gtin: str, as14: str) -> None:
    assert validate_gtin(gtin) == as14


def test_check_digit_values() -> None:
    assert gtin_check_digit("950600013435") == "2"
    assert gtin_check_digit("400638133393") == "1"
    assert gtin_check_digit("03600029145") == "2"
    assert gtin_check_digit("10614141234567890") == "8"


def test_wrong_check_digit_message() -> None:
    with pytest.raises(IdentifierError) as exc:
        validate_gtin("09506000134355")
    assert exc.value.code == "check_digit"
    assert exc.value.message == "GTIN check digit should be 2, got 5"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0950600013435", "check_digit"),  # 13 digits, check should be 7
        ("950600013435", "check_digit"),
        ("123", "length"),
        ("123456789012345", "length"),
        ("0950600013435A", "charset"),
        ("", "empty"),
    ],
)
def test_invalid_gtins(value: str, code: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        validate_gtin(value)
    assert exc.value.code == code


def test_gln_and_sscc() -> None:
    assert validate_gln("0614141123452") == "0614141123452"
    assert validate_sscc("106141412345678908") == "106141412345678908"
    with pytest.raises(IdentifierError) as exc:
        validate_gln("0614141123453")
    assert (exc.value.code, exc.value.message) == (
        "check_digit",
        "GLN check digit should be 2, got 3",
    )
    with pytest.raises(IdentifierError) as exc:
        validate_sscc("10614141234567890")
    assert exc.value.code == "length"
    with pytest.raises(IdentifierError) as exc:
        validate_sscc("106141412345678909")
    assert exc.value.code == "check_digit"
