from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from traceability.identifiers import (
    IdentifierError,
    validate_cn_drug_code,
    validate_cn_equipment_code,
    validate_uscc,
)
from traceability.identifiers.cn import org_code_check_char, uscc_check_char

# 91350100M000100Y43: GB 32100-2015 worked example.


def test_uscc_valid_parts() -> None:
    u = validate_uscc("91350100M000100Y43")
    assert (u.registration_authority, u.entity_type, u.admin_division) == ("9", "1", "350100")
    assert u.org_code == "M000100Y4"
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert org_code_check_char("M000100Y") == "4"


def test_uscc_lowercase_is_normalised() -> None:
    assert validate_uscc("91350100m000100y43").code == "91350100M000100Y43"


def test_uscc_check_failure_is_a_warning() -> None:
    with pytest.raises(IdentifierError) as exc:
        validate_uscc("91350100M000100Y44")
    assert [e.code for e in exc.value.errors] == ["uscc_check"]
    assert exc.value.severity == "warning"
    assert exc.value.message == "unified social credit code check character should be 3, got 4"


def test_org_code_check_failure_reported_separately() -> None:
    # body with org code check altered: both checks fail, each with its own code
    with pytest.raises(IdentifierError) as exc:
        validate_uscc("91350100M000100343")
    assert [e.code for e in exc.value.errors] == ["uscc_check", "org_code_check"]
    assert all(e.severity == "warning" for e in exc.value.errors)


def test_org_code_x_and_zero_checks() -> None:
    # 11 - (sum mod 11): 10 -> X, 11 -> 0
    assert org_code_check_char("00000000") == "0"
    bodies = {org_code_check_char(f"{n:08d}") for n in range(0, 200)}
    assert "X" in bodies


@pytest.mark.parametrize(
    ("code", "err"),
    [
        ("91350100M000100Y4", "length"),
        ("91350100M000100I43", "charset"),  # I is not allowed
        ("91350100M0001O0Y43", "charset"),  # O is not allowed,
    ],
)
def test_uscc_invalid(code: str, err: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        validate_uscc(code)
    assert exc.value.code == err


def test_uscc_division_must_be_digits() -> None:
    body = "91AB0100M000100Y4"
    code = body + uscc_check_char(body)
    with pytest.raises(IdentifierError) as exc:
        validate_uscc(code)
    assert exc.value.code == "structure"
    assert exc.value.severity == "error"


def test_drug_code() -> None:
    d = validate_cn_drug_code("81234567890123456789")
    assert d.product_prefix == "8123456"
    assert "check digit" in d.note.lower()
    assert "length_20" in d.checks_performed
    for bad, code in (("8123456789012345678", "length"), ("8123456789012345678A", "charset")):
        with pytest.raises(IdentifierError) as exc:
            validate_cn_drug_code(bad)
        assert exc.value.code == code


def test_equipment_code_parts() -> None:
    q = validate_cn_equipment_code("311010001201800123", today=dt.date(2025, 1, 1))
    assert (q.variety, q.category, q.manufacturer, q.year, q.sequence) == (
        "3110",
        "elevator",
        "10001",
        2018,
        "00123",
    )
    assert validate_cn_equipment_code("2110A1B2C201912345").category == "pressure_vessel"


@pytest.mark.parametrize(
    ("code", "err"),
    [
        ("31101000120180012", "length"),
        ("0110100012018 0012", "charset"),
        ("011010001201800123", "unknown_variety"),
        ("311010001189900123", "implausible_year"),
        ("311010001209900123", "implausible_year"),
        ("3110100012O1800123", "structure"),
        ("A11010001201800123", "structure"),
    ],
)
def test_equipment_code_invalid(code: str, err: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        validate_cn_equipment_code(code, today=dt.date(2025, 1, 1))
    assert exc.value.code == err


def test_check_char_generators_are_public_and_make_valid_codes() -> None:
    from traceability import identifiers

    body8 = "MA1K2X3Y"
    org = body8 + identifiers.org_code_check_char(body8)
    body17 = "91500103" + org
    code = body17 + identifiers.uscc_check_char(body17)
    assert validate_uscc(code).org_code == org


@pytest.mark.parametrize(
    ("func", "body", "err"),
    [
        (uscc_check_char, "91350100M000100Y", "length"),
        (uscc_check_char, "91350100M000100I4", "charset"),  # I is not a USCC character
        (org_code_check_char, "M000100", "length"),
        (org_code_check_char, "m000100y", "charset"),  # GB 11714 letters are upper case
    ],
)
def test_check_char_generators_refuse_malformed_bodies(func: Any, body: str, err: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        func(body)
    assert exc.value.code == err
