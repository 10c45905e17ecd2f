"""EPC pure-identity URNs (GS1 EPC Tag Data Standard 2.x, section 6) <-> GS1 element data."""

from __future__ import annotations

import re
from dataclasses import dataclass

from traceability.identifiers import errors as ec
from traceability.identifiers.ai import validate_ai_value
from traceability.identifiers.errors import IdentifierError
from traceability.identifiers.gs1 import gtin_check_digit, resolve_company_prefix_length

SCHEMES = ("sgtin", "sscc", "sgln", "grai", "giai", "pgln", "lgtin")
# TDS Table A-1: characters of GS1 set 82 that must be %-escaped inside an EPC URN.
_ESCAPE = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F"}
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
# Digits in (company prefix + second field) per scheme; giai/lgtin handled separately.
_KEY_DIGITS = {"sgtin": 13, "lgtin": 13, "sscc": 17, "sgln": 12, "grai": 12, "pgln": 12}
# Schemes with no serial/extension field after the reference.
_TWO_FIELDS = ("sscc", "giai", "pgln")
# Schemes that have no EPC binary encoding, hence no tag URI (TDS 2.x: pgln).
_NO_TAG = ("pgln",)


def epc_escape(value: str) -> str:
    return "".join(_ESCAPE.get(c, c) for c in value)


_MUST_ESCAPE = re.compile(r'["&/<>?]')


def epc_unescape(value: str, field: str) -> str:
    raw = _MUST_ESCAPE.search(value)
    if raw is not None:  # TDS 2.x Table A-1: these appear in an EPC URN only as %XX
        raise IdentifierError(
            f"character {raw[0]!r} must be %-escaped in an EPC URN "
            f"({_ESCAPE[raw[0]]}), in {value!r}",
            code=ec.CHARSET,
            field=field,
            value=value,
        )
    if re.search(r"%(?![0-9A-Fa-f]{2})", value):
        raise IdentifierError(
            f"malformed %-escape in EPC URN component {value!r}",
            code=ec.BAD_PERCENT_ENCODING,
            field=field,
            value=value,
        )
    return _PCT.sub(lambda m: chr(int(m.group(1), 16)), value)


@dataclass(frozen=True)
class EpcUrn:
    scheme: str
    company_prefix: str
    fields: tuple[str, ...]
    """Remaining URN components after the company prefix, unescaped."""
    elements: tuple[tuple[str, str], ...]
    """The same identity as GS1 AIs (``01``+``21``, ``00``, ``414``+``254``, ...)."""

    @property
    def urn(self) -> str:
        parts = [self.company_prefix, *self.fields[:-1], epc_escape(self.fields[-1])]
        kind = "class" if self.scheme == "lgtin" else "id"
        return f"urn:epc:{kind}:{self.scheme}:" + ".".join(parts)


def _digits(value: str, field: str, what: str) -> None:
    if not value.isascii() or not value.isdigit():
        raise IdentifierError(
            f"{what} must be digits, got {value!r}", code=ec.CHARSET, field=field, value=value
        )


def parse_epc_urn(urn: str) -> EpcUrn:
    """Parse ``urn:epc:id:{sgtin,sscc,sgln,grai,giai,pgln}:...`` or ``urn:epc:class:lgtin:...``.

    Tag URIs (``urn:epc:tag:sgtin-96:3.0614141.812345.6789``) are accepted and reduced to the
    pure identity (the filter value is dropped). ``pgln`` (TDS 2.x) is the GLN of a party,
    ``CompanyPrefix.PartyRef`` (12 digits; the 13-digit GLN, AI (417), adds the check digit); it
    has no binary encoding, so no tag URI.
    """
    text = urn.strip()
    m = re.fullmatch(r"(?i:urn:epc:)(id|class|tag):([a-z]+)(?:-(\d+))?:(.*)", text)
    if m is None:
        raise IdentifierError(
            f"not an EPC URN (expected urn:epc:id:<scheme>:...): {text[:60]!r}",
            code=ec.INVALID_URN,
            field="urn",
            value=text,
        )
    kind, scheme, bits, rest = m.groups()
    if (
        (kind == "class") != (scheme == "lgtin")
        or scheme not in SCHEMES
        or (kind == "tag" and scheme in _NO_TAG)
    ):
        raise IdentifierError(
            f"unsupported EPC scheme urn:epc:{kind}:{scheme} (supported: urn:epc:id:"
            "sgtin/sscc/sgln/grai/giai/pgln, urn:epc:class:lgtin)",
            code=ec.INVALID_URN,
            field="scheme",
            value=scheme,
        )
    want = 2 if scheme in _TWO_FIELDS else 3
    if kind == "tag":
        if bits is None:
            raise IdentifierError(
                "EPC tag URI needs a bit length (e.g. sgtin-96)",
                code=ec.INVALID_URN,
                field="scheme",
                value=scheme,
            )
        parts = rest.split(".", want)[1:]
    else:
        parts = rest.split(".", want - 1)  # the last field (serial) may contain dots
    if len(parts) != want:
        raise IdentifierError(
            f"urn:epc:{kind}:{scheme} needs {want} dot-separated fields, got {len(parts)}",
            code=ec.INVALID_URN,
            field="urn",
            value=text,
        )
    cp = parts[0]
    _digits(cp, "company_prefix", "GS1 Company Prefix")
    if not 6 <= len(cp) <= 12:
        raise IdentifierError(
            f"GS1 Company Prefix must have 6-12 digits, got {len(cp)}",
            code=ec.COMPANY_PREFIX,
            field="company_prefix",
            value=cp,
        )
    if parts[-1] == "" and scheme not in ("sscc", "pgln"):
        raise IdentifierError(  # TDS 2.x: serial / extension / asset reference of 1+ chars
            f"urn:epc:{kind}:{scheme} has an empty last field (serial, extension or asset "
            "reference)",
            code=ec.EMPTY,
            field="serial",
            value=text,
        )
    fields = (*parts[1:-1], epc_unescape(parts[-1], "serial"))
    if scheme in _KEY_DIGITS:
        second = parts[1]
        if second or scheme not in ("sgln", "grai", "pgln"):  # empty with a 12-digit prefix
            _digits(second, "reference", "EPC reference field")
        if len(cp) + len(second) != _KEY_DIGITS[scheme]:
            raise IdentifierError(
                f"{scheme}: company prefix + reference must total {_KEY_DIGITS[scheme]} digits, "
                f"got {len(cp)} + {len(second)}",
                code=ec.LENGTH,
                field="reference",
                value=second,
            )
    elements = _elements(scheme, cp, fields)
    for ai, value in elements:
        validate_ai_value(ai, value)
    return EpcUrn(scheme=scheme, company_prefix=cp, fields=fields, elements=elements)


def _elements(scheme: str, cp: str, f: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    if scheme in ("sgtin", "lgtin"):
        body = f[0][:1] + cp + f[0][1:]
        gtin = body + gtin_check_digit(body)
        return (("01", gtin), ("21" if scheme == "sgtin" else "10", f[1]))
    if scheme == "sscc":
        body = f[0][:1] + cp + f[0][1:]
        return (("00", body + gtin_check_digit(body)),)
    if scheme == "sgln":
        body = cp + f[0]
        gln = (("414", body + gtin_check_digit(body)),)
        return gln if f[1] == "0" else (*gln, ("254", f[1]))
    if scheme == "pgln":
        body = cp + f[0]
        return (("417", body + gtin_check_digit(body)),)
    if scheme == "grai":
        body = "0" + cp + f[0]
        return (("8003", body + gtin_check_digit(body) + f[1]),)
    return (("8004", cp + f[0]),)  # giai


def _cpl(key13: str, given: int | None) -> int:
    return resolve_company_prefix_length(key13, given)


def epc_urn_from_elements(
    elements: dict[str, str] | tuple[tuple[str, str], ...] | list[tuple[str, str]],
    company_prefix_length: int | None = None,
) -> str:
    """EPC URN for GS1 data: 01+21 -> sgtin, 00 -> sscc, 414(+254) -> sgln, 8003 -> grai,
    8004 -> giai, 417 -> pgln, 01+10 -> lgtin class.

    ``company_prefix_length`` is required knowledge the GS1 key does not carry; when None it is
    looked up in biip's GS1 Company Prefix table and falls back to 7 digits
    (:data:`~traceability.identifiers.gs1.DEFAULT_COMPANY_PREFIX_LENGTH`).
    """
    data = dict(elements.items() if isinstance(elements, dict) else elements)
    for ai, value in data.items():
        validate_ai_value(ai, value)
    if "01" in data and ("21" in data or "10" in data):
        gtin = data["01"]
        n = _cpl(gtin[1:], company_prefix_length)
        cp, ref = gtin[1 : 1 + n], gtin[0] + gtin[1 + n : 13]
        if "21" in data:
            return f"urn:epc:id:sgtin:{cp}.{ref}.{epc_escape(data['21'])}"
        return f"urn:epc:class:lgtin:{cp}.{ref}.{epc_escape(data['10'])}"
    if "00" in data:
        sscc = data["00"]
        n = _cpl(sscc[1:14], company_prefix_length)
        return f"urn:epc:id:sscc:{sscc[1 : 1 + n]}.{sscc[0]}{sscc[1 + n : 17]}"
    if "414" in data:
        gln = data["414"]
        n = _cpl(gln, company_prefix_length)
        ext = data.get("254", "0")
        return f"urn:epc:id:sgln:{gln[:n]}.{gln[n:12]}.{epc_escape(ext)}"
    if "8003" in data:
        grai = data["8003"]
        if len(grai) == 14:
            raise IdentifierError(
                "GRAI without serial component cannot be an EPC (urn:epc:id:grai needs one)",
                code=ec.NOT_ENCODABLE,
                field="8003",
                value=grai,
            )
        n = _cpl(grai[1:14], company_prefix_length)
        return f"urn:epc:id:grai:{grai[1 : 1 + n]}.{grai[1 + n : 13]}.{epc_escape(grai[14:])}"
    if "8004" in data:
        giai = data["8004"]
        key = giai[:13]
        n = _cpl(key if key.isdigit() and len(key) == 13 else "", company_prefix_length)
        return f"urn:epc:id:giai:{giai[:n]}.{epc_escape(giai[n:])}"
    if "417" in data:
        pgln = data["417"]
        n = _cpl(pgln, company_prefix_length)
        return f"urn:epc:id:pgln:{pgln[:n]}.{pgln[n:12]}"
    raise IdentifierError(
        f"no EPC scheme for AIs {', '.join(data)} (need 01+21, 01+10, 00, 414, 8003, 8004 or 417)",
        code=ec.NOT_ENCODABLE,
        field="elements",
    )


def epc_urn_to_digital_link(urn: str, *, domain: str | None = None) -> str:
    from traceability.identifiers.digital_link import CANONICAL_DOMAIN, to_digital_link

    return to_digital_link(parse_epc_urn(urn).elements, domain=domain or CANONICAL_DOMAIN)


def digital_link_to_epc_urn(uri: str, company_prefix_length: int | None = None) -> str:
    from traceability.identifiers.digital_link import parse_digital_link

    dl = parse_digital_link(uri)
    return epc_urn_from_elements(dl.primary_and_qualifiers, company_prefix_length)


def epc_urn_to_element_string(urn: str, *, bracketed: bool = True) -> str:
    from traceability.identifiers.element_string import to_element_string

    return to_element_string(parse_epc_urn(urn).elements, bracketed=bracketed)
