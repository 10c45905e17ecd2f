"""Chinese identifiers: unified social credit code, drug traceability code, equipment code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from traceability.identifiers import errors as ec
from traceability.identifiers.errors import IdentifierError

# GB 32100-2015 统一社会信用代码
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARS)}
# GB 11714-1997 组织机构代码
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _check_body(body: str, length: int, allowed: str, field: str) -> None:
    if len(body) != length:
        raise IdentifierError(
            f"{field} check character needs {length} characters, got {len(body)}",
            code=ec.LENGTH,
            field=field,
            value=body,
        )
    bad = [c for c in body if c not in allowed]
    if bad:
        raise IdentifierError(
            f"{field} body has {bad[0]!r}; allowed: {allowed}",
            code=ec.CHARSET,
            field=field,
            value=body,
        )


def uscc_check_char(body17: str) -> str:
    """GB 32100-2015 check character for the first 17 characters of a USCC (generator).

    ``body17 + uscc_check_char(body17)`` is a code :func:`validate_uscc` accepts as far as the
    last character goes; raises ``length`` / ``charset`` for a malformed body.
    """
    _check_body(body17, 17, USCC_CHARS, "uscc")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organization code body (generator).

    11 - (sum mod 11); 10 -> 'X', 11 -> '0'. Letters count A=10 .. Z=35.
    """
    _check_body(body8, 8, ORG_CHARS, "org_code")
    total = 0
    for c, w in zip(body8, ORG_WEIGHTS, strict=True):
        total += (int(c) if c.isdigit() else ord(c) - 55) * w
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


@dataclass(frozen=True)
class Uscc:
    code: str
    registration_authority: str
    entity_type: str
    admin_division: str
    org_code: str
    check_char: str


def validate_uscc(value: str) -> Uscc:
    """Validate a unified social credit code; all problems are collected.

    Raises :class:`IdentifierError` whose ``errors`` holds each finding; ``uscc_check`` and
    ``org_code_check`` have severity ``warning`` (registered codes failing them exist).
    """
    code = value.strip().upper()
    if len(code) != 18:
        raise IdentifierError(
            f"unified social credit code must have 18 characters, got {len(code)}",
            code=ec.LENGTH,
            field="uscc",
            value=value,
        )
    bad = [c for c in code if c not in _USCC_VALUE]
    if bad:
        raise IdentifierError(
            f"unified social credit code has {bad[0]!r}; allowed: {USCC_CHARS} (no I, O, S, V, Z)",
            code=ec.CHARSET,
            field="uscc",
            value=value,
        )
    found: list[IdentifierError] = []
    if not code[2:8].isdigit():
        found.append(
            IdentifierError(
                f"characters 3-8 must be a 6-digit administrative division code, got {code[2:8]!r}",
                code=ec.STRUCTURE,
                field="admin_division",
                value=code[2:8],
            )
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        found.append(
            IdentifierError(
                f"unified social credit code check character should be {expected}, got {code[17]}",
                code=ec.USCC_CHECK,
                field="uscc",
                value=code,
            )
        )
    org_expected = org_code_check_char(code[8:16])
    if code[16] != org_expected:
        found.append(
            IdentifierError(
                f"organization code {code[8:17]} check character should be {org_expected}, "
                f"got {code[16]}",
                code=ec.ORG_CODE_CHECK,
                field="org_code",
                value=code[8:17],
            )
        )
    if found:
        raise IdentifierError.collect(found)
    return Uscc(
        code=code,
        registration_authority=code[0],
        entity_type=code[1],
        admin_division=code[2:8],
        org_code=code[8:17],
        check_char=code[17],
    )


@dataclass(frozen=True)
class DrugCode:
    code: str
    product_prefix: str
    rest: str
    checks_performed: tuple[str, ...]
    note: str


DRUG_CODE_NOTE = (
    "NMPA 药品追溯码: only the published rule is checked (20 digits; the first 7 digits are the "
    "drug identification code prefix). No check digit is verified: none is published."
)


def validate_cn_drug_code(value: str) -> DrugCode:
    """Chinese 20-digit drug traceability code (药品追溯码): length and digits only."""
    code = value.strip()
    if not code.isascii() or not code.isdigit():
        raise IdentifierError(
            "drug traceability code must be 20 digits, found a non-digit",
            code=ec.CHARSET,
            field="cn_drug_code",
            value=value,
        )
    if len(code) != 20:
        raise IdentifierError(
            f"drug traceability code must have 20 digits, got {len(code)}",
            code=ec.LENGTH,
            field="cn_drug_code",
            value=value,
        )
    return DrugCode(
        code=code,
        product_prefix=code[:7],
        rest=code[7:],
        checks_performed=("length_20", "digits_only", "drug_id_prefix_7"),
        note=DRUG_CODE_NOTE,
    )


# TSG 特种设备目录 (2014) top classes, keyed by the first character of the variety code.
EQUIPMENT_CLASSES: dict[str, str] = {
    "1": "boiler",
    "2": "pressure_vessel",
    "3": "elevator",
    "4": "crane",
    "5": "field_vehicle",
    "6": "amusement_ride",
    "7": "pressure_piping_component",
    "8": "pressure_piping",
    "9": "passenger_ropeway",
    "F": "safety_accessory",
}
EARLIEST_EQUIPMENT_YEAR = 1950


@dataclass(frozen=True)
class EquipmentCode:
    code: str
    variety: str
    category: str
    manufacturer: str
    year: int
    sequence: str


def validate_cn_equipment_code(value: str, *, today: dt.date | None = None) -> EquipmentCode:
    """Special-equipment code: variety(4) + manufacturer(5) + year(4) + sequence(5)."""
    code = value.strip().upper()
    if len(code) != 18:
        raise IdentifierError(
            f"special-equipment code must have 18 characters, got {len(code)}",
            code=ec.LENGTH,
            field="cn_equipment_code",
            value=value,
        )
    if not code.isascii() or not code.isalnum():
        raise IdentifierError(
            "special-equipment code must be letters and digits",
            code=ec.CHARSET,
            field="cn_equipment_code",
            value=value,
        )
    variety, maker, year_s, seq = code[:4], code[4:9], code[9:13], code[13:]
    if not (variety[1:].isdigit() and (variety[0].isdigit() or variety[0] == "F")):
        raise IdentifierError(
            f"variety code should be 4 digits (or F + 3 digits), got {variety!r}",
            code=ec.STRUCTURE,
            field="variety",
            value=variety,
        )
    category = EQUIPMENT_CLASSES.get(variety[0])
    if category is None:
        raise IdentifierError(
            f"variety code {variety} is not in the TSG catalogue top classes "
            f"(expected first character in {''.join(EQUIPMENT_CLASSES)})",
            code=ec.UNKNOWN_VARIETY,
            field="variety",
            value=variety,
        )
    if not year_s.isdigit() or not seq.isdigit():
        which, got = ("year", year_s) if not year_s.isdigit() else ("sequence", seq)
        raise IdentifierError(
            f"{which} must be digits, got {got!r}",
            code=ec.STRUCTURE,
            field=which,
            value=got,
        )
    year = int(year_s)
    latest = (today or dt.date.today()).year + 1
    if not EARLIEST_EQUIPMENT_YEAR <= year <= latest:
        raise IdentifierError(
            f"manufacturing year should be {EARLIEST_EQUIPMENT_YEAR}-{latest}, got {year}",
            code=ec.IMPLAUSIBLE_YEAR,
            field="year",
            value=year_s,
        )
    return EquipmentCode(
        code=code, variety=variety, category=category, manufacturer=maker, year=year, sequence=seq
    )


@dataclass(frozen=True)
class UsccStatus:
    """How a unified social credit code is flagged (:func:`uscc_status`)."""

    checksum_valid: bool | None
    warning: str | None


def uscc_status(code: str | None) -> UsccStatus:
    """The one USCC rule, stated once for ``POST /parties`` (and every party shown) and
    ``tracectl id check`` (docs/access.md, "Unified social credit codes").

    ``checksum_valid`` is True when the GB 32100 check character and the embedded GB 11714
    organisation-code check both pass, False when either fails (``warning`` then gives the
    findings, ``"; "``-joined: such a code is *invalid as a code*, yet registered and flagged);
    None when there is no code or its shape (length, characters) leaves nothing to check.
    """
    if code is None:
        return UsccStatus(None, None)
    try:
        validate_uscc(code)
    except IdentifierError as err:
        if err.code in (ec.LENGTH, ec.CHARSET):
            return UsccStatus(None, None)
        checks = [e for e in err.errors if e.code in (ec.USCC_CHECK, ec.ORG_CODE_CHECK)]
        warning = "; ".join(e.message for e in checks) or None
        return UsccStatus(not checks, warning)
    return UsccStatus(True, None)
