"""EPC binary encodings (TDS 2.x section 14): the 96-bit GS1 schemes, hex in and out.

SGTIN-96, SSCC-96, SGLN-96, GRAI-96 and GIAI-96 are decoded and encoded here. Other headers
(SGTIN-198, GRAI-170, ...) are decoded through epcpy when it knows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from traceability.identifiers import errors as ec
from traceability.identifiers.epc import epc_escape, parse_epc_urn
from traceability.identifiers.errors import IdentifierError

# partition -> (company prefix bits, digits, reference bits, digits); TDS tables 14-2 .. 14-7.
_P_SGTIN = ((40, 12, 4, 1), (37, 11, 7, 2), (34, 10, 10, 3), (30, 9, 14, 4),
            (27, 8, 17, 5), (24, 7, 20, 6), (20, 6, 24, 7))  # fmt: skip
_P_SSCC = ((40, 12, 18, 5), (37, 11, 21, 6), (34, 10, 24, 7), (30, 9, 28, 8),
           (27, 8, 31, 9), (24, 7, 34, 10), (20, 6, 38, 11))  # fmt: skip
_P_SGLN = ((40, 12, 1, 0), (37, 11, 4, 1), (34, 10, 7, 2), (30, 9, 11, 3),
           (27, 8, 14, 4), (24, 7, 17, 5), (20, 6, 21, 6))  # fmt: skip
_P_GRAI = ((40, 12, 4, 0), (37, 11, 7, 1), (34, 10, 10, 2), (30, 9, 14, 3),
           (27, 8, 17, 4), (24, 7, 20, 5), (20, 6, 24, 6))  # fmt: skip
_P_GIAI = ((40, 12, 42, 13), (37, 11, 45, 14), (34, 10, 48, 15), (30, 9, 52, 16),
           (27, 8, 55, 17), (24, 7, 58, 18), (20, 6, 62, 19))  # fmt: skip


@dataclass(frozen=True)
class _Scheme:
    name: str
    header: int
    partitions: tuple[tuple[int, int, int, int], ...]
    tail_bits: int  # serial / extension bits after the reference (0 = reserved/none)
    reserved_bits: int = 0


SCHEMES_96: dict[str, _Scheme] = {
    "sgtin": _Scheme("sgtin", 0x30, _P_SGTIN, 38),
    "sscc": _Scheme("sscc", 0x31, _P_SSCC, 0, 24),
    "sgln": _Scheme("sgln", 0x32, _P_SGLN, 41),
    "grai": _Scheme("grai", 0x33, _P_GRAI, 38),
    "giai": _Scheme("giai", 0x34, _P_GIAI, 0),
}
_BY_HEADER = {s.header: s for s in SCHEMES_96.values()}


@dataclass(frozen=True)
class EpcTag:
    scheme: str
    """e.g. ``sgtin-96``"""
    filter: int
    urn: str
    """pure-identity URN"""

    @property
    def tag_uri(self) -> str:
        body = self.urn.split(":", 4)[4]
        return f"urn:epc:tag:{self.scheme}:{self.filter}.{body}"


def _clean_hex(data: str) -> str:
    text = data.strip()
    if text[:2].lower() == "0x":
        text = text[2:]
    if not text or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise IdentifierError(
            f"EPC binary must be hexadecimal, got {data[:40]!r}",
            code=ec.INVALID_HEX,
            field="hex",
            value=data,
        )
    return text.upper()


def decode_epc_hex(data: str) -> EpcTag:
    """Decode EPC tag memory (hex) into the pure-identity URN and filter value."""
    text = _clean_hex(data)
    header = int(text[:2], 16)
    scheme = _BY_HEADER.get(header)
    if scheme is None:
        return _decode_other(text, header)
    if len(text) != 24:
        raise IdentifierError(
            f"{scheme.name}-96 needs 24 hex digits (96 bits), got {len(text)}",
            code=ec.INVALID_HEX,
            field="hex",
            value=data,
        )
    value = int(text, 16)
    bits = format(value, "096b")
    filt = int(bits[8:11], 2)
    partition = int(bits[11:14], 2)
    if partition > 6:
        raise IdentifierError(
            f"{scheme.name}-96 partition value should be 0-6, got {partition}",
            code=ec.INVALID_PARTITION,
            field="partition",
            value=partition,
        )
    cp_bits, cp_digits, ref_bits, ref_digits = scheme.partitions[partition]
    pos = 14
    cp = int(bits[pos : pos + cp_bits], 2)
    pos += cp_bits
    ref = int(bits[pos : pos + ref_bits], 2)
    pos += ref_bits
    if cp >= 10**cp_digits or ref >= 10**ref_digits:
        which = "company prefix" if cp >= 10**cp_digits else "reference"
        digits = cp_digits if cp >= 10**cp_digits else ref_digits
        raise IdentifierError(
            f"{scheme.name}-96 {which} field exceeds its {digits} digits for partition {partition}",
            code=ec.INVALID_PARTITION,
            field=which.replace(" ", "_"),
            value=text,
        )
    cp_s = str(cp).zfill(cp_digits)
    ref_s = str(ref).zfill(ref_digits) if ref_digits else ""
    if scheme.name == "giai":
        ref_s = str(ref)
    fields = [cp_s, ref_s]
    if scheme.tail_bits:
        fields.append(str(int(bits[pos : pos + scheme.tail_bits], 2)))
    elif scheme.reserved_bits and int(bits[pos:], 2) != 0:
        raise IdentifierError(
            f"{scheme.name}-96 reserved bits must be zero",
            code=ec.INVALID_HEX,
            field="reserved",
            value=text,
        )
    urn = f"urn:epc:id:{scheme.name}:" + ".".join(fields)
    parse_epc_urn(urn)  # validates the result (e.g. lengths) the same way as typed URNs
    return EpcTag(scheme=f"{scheme.name}-96", filter=filt, urn=urn)


_OTHER_HEADERS = {
    0x2C: "gdti-96", 0x2D: "gsrn-96", 0x2E: "gsrnp-96", 0x35: "gid-96", 0x36: "sgtin-198",
    0x37: "grai-170", 0x38: "giai-202", 0x39: "sgln-195", 0x3A: "gdti-113", 0x3B: "adi-var",
    0x3C: "cpi-96", 0x3D: "cpi-var", 0x3E: "gdti-174", 0x3F: "sgcn-96",
}  # fmt: skip


def _decode_other(text: str, header: int) -> EpcTag:
    try:
        from epcpy import hex_to_tag_encodable  # type: ignore[attr-defined]

        urn = str(hex_to_tag_encodable(text).epc_uri)
    except Exception as exc:
        raise IdentifierError(
            f"EPC header 0x{header:02X} is not a supported scheme (supported: 0x30 SGTIN-96, "
            "0x31 SSCC-96, 0x32 SGLN-96, 0x33 GRAI-96, 0x34 GIAI-96, others via epcpy)",
            code=ec.UNKNOWN_HEADER,
            field="header",
            value=f"{header:02X}",
        ) from exc
    filt = (int(text[2:4], 16) >> 5) if len(text) >= 4 else 0
    return EpcTag(scheme=_OTHER_HEADERS.get(header, f"0x{header:02X}"), filter=filt, urn=urn)


def epc_urn_from_hex(data: str) -> str:
    """Pure-identity URN of EPC binary given as hex (``3074257BF7194E4000001A85`` ->
    ``urn:epc:id:sgtin:0614141.812345.6789``)."""
    return decode_epc_hex(data).urn


def epc_urn_to_hex(urn: str, *, filter_value: int = 0) -> str:
    """Encode a pure-identity URN as 96-bit EPC binary (upper-case hex).

    Works for sgtin, sscc, sgln, grai, giai whose serial/extension fits the 96-bit scheme
    (numeric, no leading zeros, within the bit width); otherwise ``not_encodable``.
    """
    parsed = parse_epc_urn(urn)
    scheme = SCHEMES_96.get(parsed.scheme)
    if scheme is None:
        raise IdentifierError(
            f"{parsed.scheme} has no 96-bit encoding",
            code=ec.NOT_ENCODABLE,
            field="scheme",
            value=parsed.scheme,
        )
    if not 0 <= filter_value <= 7:
        raise IdentifierError(
            f"filter value should be 0-7, got {filter_value}",
            code=ec.NOT_ENCODABLE,
            field="filter",
            value=filter_value,
        )
    cp = parsed.company_prefix
    partition = next(i for i, p in enumerate(scheme.partitions) if p[1] == len(cp))
    cp_bits, _cp_digits, ref_bits, _ref_digits = scheme.partitions[partition]
    ref = parsed.fields[0]
    tail = parsed.fields[1] if len(parsed.fields) > 1 else ""
    if scheme.name == "giai":
        ref, tail = parsed.fields[0], ""
        if not _numeric_no_lead(ref) or int(ref) >= 2**ref_bits:
            raise IdentifierError(
                f"GIAI-96 asset reference must be a number without leading zeros below "
                f"2^{ref_bits}, got {epc_escape(ref)!r}",
                code=ec.NOT_ENCODABLE,
                field="asset_reference",
                value=ref,
            )
    value = (scheme.header << 3 | filter_value) << 3 | partition
    value = value << cp_bits | int(cp)
    value = value << ref_bits | int(ref or "0")
    if scheme.tail_bits:
        if not _numeric_no_lead(tail) or int(tail) >= 2**scheme.tail_bits:
            raise IdentifierError(
                f"{scheme.name}-96 serial/extension must be a number without leading zeros below "
                f"2^{scheme.tail_bits}, got {epc_escape(tail)!r} (use the 198/195/170-bit scheme)",
                code=ec.NOT_ENCODABLE,
                field="serial",
                value=tail,
            )
        value = value << scheme.tail_bits | int(tail)
    value <<= scheme.reserved_bits
    return format(value, "024X")


def _numeric_no_lead(s: str) -> bool:
    return s.isascii() and s.isdigit() and (s == "0" or not s.startswith("0"))
