"""EPC Tag Data Standard 2.x: pure identity URNs and the 96-bit binary encodings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .gs1 import gs1_normalized, with_check

# --------------------------------------------------------------------------- EPC (TDS 2.x)

# partition -> (company prefix bits, digits, other field bits, digits)
SGTIN_PARTITIONS = [
    (40, 12, 4, 1), (37, 11, 7, 2), (34, 10, 10, 3), (30, 9, 14, 4),
    (27, 8, 17, 5), (24, 7, 20, 6), (20, 6, 24, 7),
]  # fmt: skip
SSCC_PARTITIONS = [
    (40, 12, 18, 5), (37, 11, 21, 6), (34, 10, 24, 7), (30, 9, 28, 8),
    (27, 8, 31, 9), (24, 7, 34, 10), (20, 6, 38, 11),
]  # fmt: skip
SGLN_PARTITIONS = [
    (40, 12, 1, 0), (37, 11, 4, 1), (34, 10, 7, 2), (30, 9, 11, 3),
    (27, 8, 14, 4), (24, 7, 17, 5), (20, 6, 21, 6),
]  # fmt: skip
GRAI_PARTITIONS = [
    (40, 12, 4, 0), (37, 11, 7, 1), (34, 10, 10, 2), (30, 9, 14, 3),
    (27, 8, 17, 4), (24, 7, 20, 5), (20, 6, 24, 6),
]  # fmt: skip
GIAI_PARTITIONS = [
    (40, 12, 42, 13), (37, 11, 45, 14), (34, 10, 48, 15), (30, 9, 52, 16),
    (27, 8, 55, 17), (24, 7, 58, 18), (20, 6, 62, 19),
]  # fmt: skip

# scheme -> (header, table, width of the field after the partitioned pair)
EPC96: dict[str, tuple[int, list[tuple[int, int, int, int]], int]] = {
    "sgtin": (0x30, SGTIN_PARTITIONS, 38),
    "sscc": (0x31, SSCC_PARTITIONS, 24),
    "sgln": (0x32, SGLN_PARTITIONS, 41),
    "grai": (0x33, GRAI_PARTITIONS, 38),
    "giai": (0x34, GIAI_PARTITIONS, 0),
}


def epc96_hex(scheme: str, filt: int, partition: int, cp: int, ref: int, tail: int) -> str:
    """Pack a 96-bit EPC; ``tail`` is the serial / extension (0 for SSCC's reserved bits)."""
    header, table, tail_bits = EPC96[scheme]
    p = table[partition if partition < len(table) else 0]
    cp_bits, _, ref_bits, _ = p
    value = header
    for width, v in ((3, filt), (3, partition), (cp_bits, cp), (ref_bits, ref)):
        value = (value << width) | v
    if tail_bits:
        value = (value << tail_bits) | tail
    assert value.bit_length() <= 96
    return f"{value:024X}"


# Characters TDS requires to be %-escaped in EPC URN serial components.
_URN_ESCAPE = set('"%&/<>?')


def urn_escape(value: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in _URN_ESCAPE else c for c in value)


@dataclass(frozen=True)
class Epc:
    urn: str
    elements: list[tuple[str, str]]


def sgtin(cp: str, ir: str, serial: str) -> Epc:
    gtin = with_check(ir[0] + cp + ir[1:])
    return Epc(f"urn:epc:id:sgtin:{cp}.{ir}.{urn_escape(serial)}", [("01", gtin), ("21", serial)])


def sscc(cp: str, sr: str) -> Epc:
    code = with_check(sr[0] + cp + sr[1:])
    return Epc(f"urn:epc:id:sscc:{cp}.{sr}", [("00", code)])


def sgln(cp: str, lr: str, ext: str) -> Epc:
    gln = with_check(cp + lr)
    els = [("414", gln)] + ([("254", ext)] if ext != "0" else [])
    return Epc(f"urn:epc:id:sgln:{cp}.{lr}.{urn_escape(ext)}", els)


def grai(cp: str, at: str, serial: str) -> Epc:
    value = with_check("0" + cp + at) + serial
    return Epc(f"urn:epc:id:grai:{cp}.{at}.{urn_escape(serial)}", [("8003", value)])


def giai(cp: str, iar: str) -> Epc:
    return Epc(f"urn:epc:id:giai:{cp}.{urn_escape(iar)}", [("8004", cp + iar)])


def epc_normalized(epc: Epc, today: dt.date) -> dict[str, str]:
    out = gs1_normalized(epc.elements, today)
    out["epc_urn"] = epc.urn
    return out
