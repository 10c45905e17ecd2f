"""Tiny private GS1 identifier checks for event validation (EPC URIs and Digital Link URIs).

To be replaced by :mod:`traceability.identifiers` once that package settles. EPC URIs carry no
check digit (it is implied), so for them only the structure is checked (company prefix +
reference lengths, serial characters); Digital Link URIs carry the full key, whose GS1 mod-10
check digit is verified.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from traceability.events._dl import gs1_check_digit, normalise

__all__ = ["check_identifier", "gs1_check_digit", "lot_of"]

# Digital Link primary keys with a fixed-length numeric value ending in a check digit
_DL_KEYS: Final = {
    "01": ("GTIN", (8, 12, 13, 14)), "gtin": ("GTIN", (8, 12, 13, 14)),
    "00": ("SSCC", (18,)), "sscc": ("SSCC", (18,)),
    "414": ("GLN", (13,)), "gln": ("GLN", (13,)),
    "417": ("party GLN", (13,)), "party": ("party GLN", (13,)),
    "8017": ("GSRN-P", (18,)), "8018": ("GSRN", (18,)), "402": ("GSIN", (17,)),
}  # fmt: skip
_DL = re.compile(r"^https?://[^/?#]+(/[^?#]*)")
_ID_SCHEMES: Final = "sgtin sscc sgln grai giai gsrn gsrnp gdti cpi sgcn ginc gsin itip upui pgln"
_KNOWN: Final = frozenset(
    [("id", s) for s in _ID_SCHEMES.split()]
    + [("class", "lgtin")]
    + [("idpat", s) for s in ["sgtin", "grai", "gdti", "sgcn", "cpi", "itip", "upui"]]
)
_EPC_SCHEMES: Final = re.compile(r"^urn:epc:(id|class|idpat):([a-z]+):")


@lru_cache(maxsize=16384)  # locations, parents and classes recur in event after event
def check_identifier(value: str) -> tuple[str, str] | None:
    """``(code, message)`` if ``value`` is a malformed GS1 identifier, else ``None``.

    Values that are neither EPC URIs nor Digital Link URIs (private URIs, ``geo:``) pass.
    """
    if value.startswith("urn:epc:"):
        m = _EPC_SCHEMES.match(value)
        if m is None:
            return None  # urn:epc:raw / tag URIs: out of scope
        if (m[1], m[2]) in _KNOWN and normalise(value) is None:
            return "bad_identifier", f"malformed EPC URI {value!r}"
        return None
    m = _DL.match(value)
    if m is None:
        return None
    segments = m[1].split("/")
    for i, seg in enumerate(segments[:-1]):
        spec = _DL_KEYS.get(seg)
        if spec is None:
            continue
        name, lengths = spec
        key = segments[i + 1]
        if not key.isdigit() or len(key) not in lengths:
            return "bad_identifier", f"{name} in {value!r} must be {lengths[-1]} digits"
        want = gs1_check_digit(key[:-1])
        if int(key[-1]) != want:
            return "check_digit", f"{name} check digit should be {want}, got {key[-1]}"
        return None
    return None


def lot_of(value: str) -> str | None:
    """``GTIN/lot`` if ``value`` names a lot (LGTIN class or Digital Link with AI 10, no serial)."""
    canonical = normalise(value)
    if canonical is None:
        if value.startswith("http") and "/10/" in value and "/21/" not in value:
            canonical = value  # a lot DL the normaliser refuses (e.g. % in the lot): still a lot
        else:
            return None
    m = re.search(r"/01/(\d{14})/10/([^/?#]+)\Z", canonical)
    return f"{m[1]}/{m[2]}" if m else None
