from __future__ import annotations

import pytest

from traceability.identifiers import IdentifierError, parse_element_string, to_element_string
from traceability.identifiers.ai import century_year, parse_gs1_date

GS = "\x1d"


@pytest.mark.parametrize("prefix", ["]d2", "]Q3", "]C1", ""])
def test_symbology_and_gs(prefix: str) -> None:
    es = parse_element_string(f"{prefix}0109506000134352172512001012345{GS}21ABC/1")
    assert es.as_dict() == {"01": "09506000134352", "17": "251200", "10": "12345", "21": "ABC/1"}
    assert es.symbology == (prefix or None)


def test_bracketed_form_and_rendering() -> None:
    # GS1 EPC TDS example (01)80614141123458(21)6789
    es = parse_element_string("(01)80614141123458(21)6789(17)251231")
    assert es.elements == (("01", "80614141123458"), ("21", "6789"), ("17", "251231"))
    assert es.gs_form == "0180614141123458216789" + GS + "17251231"
    assert to_element_string(es.elements, bracketed=False, symbology="]d2").startswith("]d201")
    assert parse_element_string(es.gs_form).elements == es.elements


def test_fixed_length_ai_needs_no_separator() -> None:
    es = parse_element_string("010950600013435217251231")
    assert es.as_dict() == {"01": "09506000134352", "17": "251231"}


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ("(01)09506000134353", "check_digit", "01"),
        ("(01)09506000134352(17)251301", "invalid_date", "17"),  # month 13
        ("(01)09506000134352(17)250230", "invalid_date", "17"),  # 30 Feb
        ("(01)09506000134352(23)x", "unknown_ai", "23"),
        ("]d1010950600013435", "unsupported_symbology", "symbology"),
        ("(01)0950600013435", "length", "01"),
        ("(01)09506000134352(10)" + "A" * 21, "length", "10"),
        ("(01)09506000134352(10)AB C", "charset", "10"),
        ("(01)09506000134352(10)A(10)B", "duplicate_ai", "10"),
        ("(00)106141412345678909", "check_digit", "00"),
        ("(414)0614141123453", "check_digit", "414"),
        ("01095060001343", "length", "01"),
        ("", "empty", "element_string"),
    ],
)
def test_invalid_element_strings(data: str, code: str, field: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        parse_element_string(data)
    assert exc.value.code == code
    assert exc.value.field == field


def test_day_zero_is_end_of_month() -> None:
    # GS1 General Specifications: DD = 00 means the last day of the month.
    assert parse_gs1_date("240200", field="17", allow_day_zero=True).isoformat() == "2024-02-29"
    assert parse_gs1_date("250200", field="17", allow_day_zero=True).isoformat() == "2025-02-28"
    with pytest.raises(IdentifierError) as exc:
        parse_gs1_date("250200", field="7006", allow_day_zero=False)
    assert exc.value.code == "invalid_date"


def test_century_window() -> None:
    import datetime as dt

    today = dt.date(2025, 6, 1)
    assert century_year(25, today) == 2025
    assert century_year(75, today) == 2075
    assert century_year(76, today) == 1976
    assert century_year(99, dt.date(2001, 1, 1)) == 1999
    assert century_year(50, dt.date(2099, 1, 1)) == 2050
    assert century_year(49, dt.date(2099, 1, 1)) == 2149
