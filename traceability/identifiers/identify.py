"""``check(code)``: identify any supported code and validate it."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from traceability.identifiers import errors as ec
from traceability.identifiers.ai import GS, parse_gs1_date
from traceability.identifiers.cn import (
    uscc_status,
    validate_cn_drug_code,
    validate_cn_equipment_code,
    validate_uscc,
)
from traceability.identifiers.digital_link import parse_digital_link, to_digital_link
from traceability.identifiers.element_string import parse_element_string
from traceability.identifiers.epc import epc_urn_from_elements, parse_epc_urn
from traceability.identifiers.epc_binary import decode_epc_hex
from traceability.identifiers.errors import IdentifierError
from traceability.identifiers.gs1 import validate_gln, validate_gtin, validate_sscc
from traceability.identifiers.models import IdCheck, IdErrorItem, Kind

_HEX = re.compile(r"(?:0[xX])?[0-9A-Fa-f]{24,}")
_ALNUM18 = re.compile(r"[0-9A-Za-z]{18}")
# A bare (no symbology, no brackets) element string is only guessed when it starts with a key.
_KEY_AIS = ("00", "01", "02", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006")


@dataclass
class _Outcome:
    normalized: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def gs1_normalized(elements: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Normalised view of GS1 data: gtin, serial, lot, expiry, sscc, gln, links, EPC URN."""
    data = dict(elements)
    out: dict[str, str] = {}
    if "01" in data:
        out["gtin"] = data["01"].zfill(14)
    for ai, name in (("21", "serial"), ("10", "lot"), ("00", "sscc"), ("414", "gln")):
        if ai in data:
            out[name] = data[ai]
    if "17" in data:
        out["expiry"] = parse_gs1_date(data["17"], field="17", allow_day_zero=True).isoformat()
    with contextlib.suppress(IdentifierError):
        out["digital_link"] = to_digital_link(elements)
    with contextlib.suppress(IdentifierError):
        out["epc_urn"] = epc_urn_from_elements(elements)
    out["element_string"] = "".join(f"({ai}){v}" for ai, v in elements)
    return out


def _gtin(code: str) -> _Outcome:
    gtin = validate_gtin(code)
    return _Outcome(
        normalized={"gtin": gtin, "digital_link": to_digital_link({"01": gtin})},
        parts={"format": f"GTIN-{len(code)}"},
        checks=["length", "digits", "check_digit"],
    )


def _gln(code: str) -> _Outcome:
    gln = validate_gln(code)
    return _Outcome(
        normalized={"gln": gln, "digital_link": to_digital_link({"414": gln})},
        checks=["length", "digits", "check_digit"],
    )


def _sscc(code: str) -> _Outcome:
    sscc = validate_sscc(code)
    return _Outcome(
        normalized=gs1_normalized((("00", sscc),)),
        checks=["length", "digits", "check_digit"],
    )


def _element_string(code: str) -> _Outcome:
    es = parse_element_string(code)
    out = _Outcome(
        normalized=gs1_normalized(es.elements),
        checks=["symbology", "ai_table", "ai_format", "check_digits", "dates"],
    )
    if es.symbology:
        out.parts["symbology"] = es.symbology
    return out


def _digital_link(code: str) -> _Outcome:
    dl = parse_digital_link(code)
    norm = gs1_normalized(dl.elements)
    norm["digital_link"] = dl.canonical
    out = _Outcome(
        normalized=norm,
        checks=["uri", "primary_key", "qualifier_order", "ai_format", "check_digits", "dates"],
    )
    out.parts["domain"] = dl.domain
    out.parts.update({f"query:{k}": v for k, v in dl.extras.items()})
    return out


def _epc_urn(code: str) -> _Outcome:
    urn = parse_epc_urn(code)
    norm = gs1_normalized(urn.elements)
    norm["epc_urn"] = urn.urn
    return _Outcome(
        normalized=norm,
        parts={"scheme": urn.scheme, "company_prefix": urn.company_prefix},
        checks=["urn_syntax", "company_prefix", "ai_format"],
    )


def _epc_hex(code: str) -> _Outcome:
    tag = decode_epc_hex(code)
    out = _epc_urn(tag.urn)
    out.parts.update({"binary_scheme": tag.scheme, "filter": str(tag.filter)})
    out.normalized["epc_hex"] = code.strip().upper().removeprefix("0X")
    out.checks = ["header", "partition", "field_ranges", *out.checks]
    return out


def _uscc(code: str) -> _Outcome:
    u = validate_uscc(code)
    return _Outcome(
        normalized={"uscc": u.code, "org_code": u.org_code},
        parts={
            "registration_authority": u.registration_authority,
            "entity_type": u.entity_type,
            "admin_division": u.admin_division,
            "org_code": u.org_code,
            "check_char": u.check_char,
        },
        checks=["length", "charset", "admin_division", "uscc_check", "org_code_check"],
    )


def _drug(code: str) -> _Outcome:
    d = validate_cn_drug_code(code)
    return _Outcome(
        normalized={"cn_drug_code": d.code},
        parts={"drug_id_prefix": d.product_prefix, "rest": d.rest},
        checks=list(d.checks_performed),
        notes=[d.note],
    )


def _equipment(code: str) -> _Outcome:
    q = validate_cn_equipment_code(code)
    return _Outcome(
        normalized={"cn_equipment_code": q.code},
        parts={
            "variety": q.variety,
            "category": q.category,
            "manufacturer": q.manufacturer,
            "year": str(q.year),
            "sequence": q.sequence,
        },
        checks=["length", "charset", "variety_top_class", "year_range"],
        notes=["no check character is defined for the special-equipment code"],
    )


_EVALUATORS: dict[str, Callable[[str], _Outcome]] = {
    "gtin": _gtin,
    "gln": _gln,
    "sscc": _sscc,
    "element_string": _element_string,
    "digital_link": _digital_link,
    "epc_urn": _epc_urn,
    "epc_hex": _epc_hex,
    "uscc": _uscc,
    "cn_drug_code": _drug,
    "cn_equipment_code": _equipment,
}


def candidates(code: str) -> list[Kind]:
    """Kinds the string's shape allows, most likely first."""
    s = code
    low = s[:8].lower()
    if low.startswith(("http://", "https://")):
        return ["digital_link"]
    if low.startswith("urn:epc:"):
        return ["epc_urn"]
    if s.startswith(("]", "(")) or GS in s or "<GS>" in s:
        return ["element_string"]
    out: list[Kind] = []
    if s.isascii() and s.isdigit():
        n = len(s)
        if n in (8, 12, 14):
            out.append("gtin")
        elif n == 13:
            out += ["gtin", "gln"]
        elif n == 18:
            out += ["sscc", "uscc", "cn_equipment_code"]
        elif n == 20:
            out.append("cn_drug_code")
    elif _ALNUM18.fullmatch(s):
        out += ["uscc", "cn_equipment_code"]
    if _HEX.fullmatch(s) and not (s.isdigit() and len(s) != 24):
        out.append("epc_hex")
    if s.startswith(_KEY_AIS) and s.isprintable():
        out.append("element_string")
    return out


def check(code: str) -> IdCheck:
    """Identify and validate ``code``; never raises for bad input. A USCC also carries the
    registry's flags (:func:`~traceability.identifiers.cn.uscc_status`), one rule for both."""
    out = _check(code)
    if out.kind == "uscc":
        status = uscc_status(code)
        out.uscc_checksum_valid, out.uscc_warning = status.checksum_valid, status.warning
    return out


def _check(code: str) -> IdCheck:
    text = code.strip()
    if not text:
        return IdCheck(
            input=code,
            valid=False,
            kind=None,
            errors=[IdErrorItem(code=ec.EMPTY, message="input is empty")],
        )
    kinds = candidates(text)
    results: list[tuple[Kind, _Outcome | IdentifierError]] = []
    for kind in kinds:
        try:
            results.append((kind, _EVALUATORS[kind](text)))
        except IdentifierError as exc:
            results.append((kind, exc))
    valid = [(k, r) for k, r in results if isinstance(r, _Outcome)]
    if valid:
        kind, outcome = valid[0]
        return IdCheck(
            input=code,
            valid=True,
            kind=kind,
            alternatives=[k for k, _ in valid[1:]],
            normalized=outcome.normalized,
            parts=outcome.parts,
            checks_performed=outcome.checks,
            notes=outcome.notes,
        )
    if not results:
        return IdCheck(
            input=code,
            valid=False,
            kind=None,
            errors=[
                IdErrorItem(
                    code=ec.UNRECOGNIZED,
                    message="not a recognised identifier (expected GTIN/GLN/SSCC digits, GS1 "
                    "element string, Digital Link URI, EPC URN or hex, USCC, 20-digit drug code "
                    "or 18-character equipment code)",
                )
            ],
        )
    kind, err = _best_failure(results)
    assert isinstance(err, IdentifierError)
    return IdCheck(
        input=code,
        valid=False,
        kind=kind,
        errors=[
            IdErrorItem(code=e.code, message=e.message, field=e.field, severity=e.severity)
            for e in err.errors
        ],
    )


def _best_failure(
    results: list[tuple[Kind, _Outcome | IdentifierError]],
) -> tuple[Kind, _Outcome | IdentifierError]:
    """Among failures, prefer one that only failed a checksum (the shape fitted)."""
    soft = {ec.CHECK_DIGIT, ec.USCC_CHECK, ec.ORG_CODE_CHECK}
    for kind, r in results:
        if isinstance(r, IdentifierError) and all(e.code in soft for e in r.errors):
            return kind, r
    return results[0]
