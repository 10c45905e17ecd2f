"""Identifier conversions the device side needs, behind a few small functions.

SGTIN-96 hex -> EPC URN, GS1 element strings / Digital Link URIs -> EPC URNs, and the GS1 /
GB 32100 check characters used when generating identifiers. When ``traceability.identifiers``
offers the same conversion it is preferred (:func:`epc_urn_from_hex`); the local code is the
fallback and the reference the simulators use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from traceability.errors import InvalidInputError

GS = "\x1d"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
DEFAULT_CP_LEN = 7
# SGTIN-96 partition table: partition -> (company prefix bits, digits, item ref bits, digits)
_PARTITIONS = {
    0: (40, 12, 4, 1),
    1: (37, 11, 7, 2),
    2: (34, 10, 10, 3),
    3: (30, 9, 14, 4),
    4: (27, 8, 17, 5),
    5: (24, 7, 20, 6),
    6: (20, 6, 24, 7),
}
# AIs with a fixed value length (the rest end at GS or at the end of the data).
_FIXED = {"00": 18, "01": 14, "02": 14, "11": 6, "13": 6, "15": 6, "16": 6, "17": 6, "414": 13}
_VARIABLE = {"10", "21", "254", "22", "235"}
_KNOWN = set(_FIXED) | _VARIABLE


class ScanError(InvalidInputError):
    code = "invalid_identifier"


# ---- check characters -------------------------------------------------------------------


def gs1_check_digit(body: str) -> str:
    """GS1 mod-10 check digit: weights 3, 1, 3, ... from the right-most body digit."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def with_check_digit(body: str) -> str:
    return body + gs1_check_digit(body)


def gs1_key_valid(key: str) -> bool:
    return key.isdigit() and len(key) > 1 and gs1_check_digit(key[:-1]) == key[-1]


def org_code_check_char(body8: str) -> str:
    """GB 11714 organisation code check: 11 - (sum mod 11); 10 -> 'X', 11 -> '0'."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body8, ORG_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check_char(body17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_valid(code: str) -> bool:
    return (
        len(code) == 18
        and all(c in USCC_CHARS for c in code)
        and uscc_check_char(code[:17]) == code[17]
    )


# ---- EPC URNs ---------------------------------------------------------------------------


def sgtin_urn(gtin: str, serial: str, *, cp_len: int = DEFAULT_CP_LEN) -> str:
    """``urn:epc:id:sgtin:CP.IndicatorItemRef.Serial`` from a GTIN-14 and a serial."""
    g = gtin.zfill(14)
    return f"urn:epc:id:sgtin:{g[1 : 1 + cp_len]}.{g[0]}{g[1 + cp_len : 13]}.{_epc_escape(serial)}"


def lgtin_urn(gtin: str, lot: str, *, cp_len: int = DEFAULT_CP_LEN) -> str:
    g = gtin.zfill(14)
    return f"urn:epc:class:lgtin:{g[1 : 1 + cp_len]}.{g[0]}{g[1 + cp_len : 13]}.{_epc_escape(lot)}"


def sscc_urn(sscc: str, *, cp_len: int = DEFAULT_CP_LEN) -> str:
    return f"urn:epc:id:sscc:{sscc[1 : 1 + cp_len]}.{sscc[0]}{sscc[1 + cp_len : 17]}"


def sgln_urn(gln: str, extension: str = "0", *, cp_len: int = DEFAULT_CP_LEN) -> str:
    return f"urn:epc:id:sgln:{gln[:cp_len]}.{gln[cp_len:12]}.{_epc_escape(extension)}"


def pgln_urn(gln: str, *, cp_len: int = DEFAULT_CP_LEN) -> str:
    return f"urn:epc:id:pgln:{gln[:cp_len]}.{gln[cp_len:12]}"


def giai_urn(company_prefix: str, asset_ref: str) -> str:
    return f"urn:epc:id:giai:{company_prefix}.{_epc_escape(asset_ref)}"


def _epc_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in "-_.*!'()+,:;=@$"):
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def sgtin96_hex(gtin: str, serial: int, *, cp_len: int = DEFAULT_CP_LEN, filter_: int = 1) -> str:
    """Encode an SGTIN-96 tag (used by the simulators to make realistic reader payloads)."""
    part = next(p for p, (_, d, _, _) in _PARTITIONS.items() if d == cp_len)
    cp_bits, _, ir_bits, _ = _PARTITIONS[part]
    g = gtin.zfill(14)
    cp, ir = int(g[1 : 1 + cp_len]), int(g[0] + g[1 + cp_len : 13])
    value = (0x30 << 88) | (filter_ << 85) | (part << 82) | (cp << (82 - cp_bits))
    value |= ir << (82 - cp_bits - ir_bits) | serial
    return f"{value:024X}"


def _local_epc_urn_from_hex(hex_text: str) -> str:
    text = hex_text.strip().replace(" ", "")
    try:
        value = int(text, 16)
    except ValueError:
        raise ScanError(f"EPC is not hex: {hex_text!r}", field="epcHex", value=hex_text) from None
    if len(text) != 24 or value >> 88 != 0x30:
        raise ScanError(
            f"not an SGTIN-96 EPC (header 0x30, 96 bits): {hex_text!r}",
            field="epcHex",
            value=hex_text,
        )
    partition = (value >> 82) & 0x7
    if partition not in _PARTITIONS:
        raise ScanError(f"SGTIN-96 partition {partition} is invalid", field="epcHex", value=text)
    cp_bits, cp_digits, ir_bits, ir_digits = _PARTITIONS[partition]
    cp = (value >> (82 - cp_bits)) & ((1 << cp_bits) - 1)
    ir = (value >> 38) & ((1 << ir_bits) - 1)
    serial = value & ((1 << 38) - 1)
    if cp >= 10**cp_digits or ir >= 10**ir_digits:
        raise ScanError(
            "SGTIN-96 company prefix/item reference overflow", field="epcHex", value=text
        )
    return f"urn:epc:id:sgtin:{cp:0{cp_digits}d}.{ir:0{ir_digits}d}.{serial}"


def epc_urn_from_hex(hex_text: str) -> str:
    """Tag hex (SGTIN-96) -> pure-identity EPC URN; prefers ``traceability.identifiers``."""
    shared = _shared("epc_urn_from_hex")
    if shared is not None:
        return str(shared(hex_text))
    return _local_epc_urn_from_hex(hex_text)


def _shared(name: str) -> Any:
    try:
        module = importlib.import_module("traceability.identifiers")
    except ImportError:  # pragma: no cover - the package always exists
        return None
    return getattr(module, name, None)


# ---- scans: element strings and Digital Link --------------------------------------------


@dataclass(frozen=True, slots=True)
class Scan:
    """What a 2D code said: its AIs, plus the EPC (instance or class) it identifies."""

    ais: dict[str, str]
    epc: str | None  # urn:epc:id:sgtin / sscc
    epc_class: str | None  # urn:epc:class:lgtin when only GTIN + lot
    digital_link: str | None


def parse_element_string(data: str) -> dict[str, str]:
    """``(01)...(21)...`` or raw GS1 data with FNC1 (GS), optional ``]d2``/``]Q3``/``]C1``."""
    text = data.strip()
    for prefix in ("]d2", "]Q3", "]C1", "]e0"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if text.startswith("("):
        out: dict[str, str] = {}
        for part in text[1:].split("("):
            ai, _, value = part.partition(")")
            out[ai] = value
        return out
    out = {}
    pos = 0
    while pos < len(text):
        found = [text[pos : pos + n] for n in (2, 3, 4) if text[pos : pos + n] in _KNOWN]
        if not found:
            raise ScanError(f"unknown AI at {pos} in {data!r}", field="scan", value=data)
        ai = found[0]
        pos += len(ai)
        if ai in _FIXED:
            end = pos + _FIXED[ai]
        else:
            gs = text.find(GS, pos)
            end = len(text) if gs < 0 else gs
        out[ai] = text[pos:end]
        pos = end + (1 if end < len(text) and text[end] == GS else 0)
    return out


def parse_digital_link(uri: str) -> dict[str, str]:
    parts = urlsplit(uri)
    segs = [unquote(s) for s in parts.path.split("/") if s]
    out: dict[str, str] = {}
    for i in range(len(segs) - 1):
        if segs[i] in ("01", "00", "414", "8006") and not out:
            out.update({segs[j]: segs[j + 1] for j in range(i, len(segs) - 1, 2)})
            break
    out.update({k: v for k, v in parse_qsl(parts.query) if k.isdigit()})
    if not out:
        raise ScanError(f"not a GS1 Digital Link URI: {uri!r}", field="scan", value=uri)
    return out


def parse_scan(
    data: str, *, cp_len: int = DEFAULT_CP_LEN, base: str = "https://id.gs1.org"
) -> Scan:
    """A DataMatrix/QR payload -> its AIs and the EPC URN (or LGTIN class) it denotes."""
    text = data.strip()
    ais = (
        parse_digital_link(text) if text.lower().startswith("http") else parse_element_string(text)
    )
    for key in ("00", "01"):
        if key in ais and not gs1_key_valid(ais[key]):
            raise ScanError(
                f"AI ({key}) {ais[key]} fails its check digit", field=key, value=ais[key]
            )
    epc: str | None = None
    epc_class: str | None = None
    link: str | None = None
    if "00" in ais:
        epc = sscc_urn(ais["00"], cp_len=cp_len)
        link = f"{base}/00/{ais['00']}"
    elif "01" in ais:
        gtin = ais["01"]
        if "21" in ais:
            epc = sgtin_urn(gtin, ais["21"], cp_len=cp_len)
        elif "10" in ais:
            epc_class = lgtin_urn(gtin, ais["10"], cp_len=cp_len)
        link = f"{base}/01/{gtin}" + "".join(
            f"/{ai}/{_epc_escape(ais[ai])}" for ai in ("22", "10", "21") if ai in ais
        )
        if "17" in ais:
            link += f"?17={ais['17']}"
    if epc is None and epc_class is None:
        raise ScanError(f"scan carries no SSCC or GTIN: {data!r}", field="scan", value=data)
    return Scan(ais=ais, epc=epc, epc_class=epc_class, digital_link=link)


def element_string(ais: dict[str, str]) -> str:
    """Raw GS1 element string (FNC1 = GS after variable-length values, none at the end)."""
    out = []
    items = list(ais.items())
    for i, (ai, value) in enumerate(items):
        out.append(ai + value)
        if ai not in _FIXED and i < len(items) - 1:
            out.append(GS)
    return "".join(out)
