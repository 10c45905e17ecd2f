"""Item identities in scans: SGTIN EPC URNs and GS1 Digital Link URIs (gtin, serial, lot, expiry).

Every rule comes from the identifier core (:mod:`traceability.identifiers`): the GS1 check
digit, the EPC URN and Digital Link grammars, and the GS1 date rule of AI (17) (century by the
sliding window of the GS1 General Specifications 7.12, day ``00`` = last day of the month).
The one shortcut is for the common SGTIN URN whose serial needs no %-escape: it is split here
(a few µs instead of the core's ~13) and ``tests/unit/verdicts/test_items.py`` proves by
hypothesis that it gives what the core gives for any URN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from traceability.identifiers import IdentifierError, parse_digital_link, parse_epc_urn
from traceability.identifiers.ai import parse_gs1_date
from traceability.identifiers.gs1 import gtin_check_digit

SGTIN = "urn:epc:id:sgtin:"
# the fast path: CompanyPrefix.IndicatorItemRef.Serial, serial of GS1 set-82 characters that an
# EPC URN carries unescaped (TDS 2.x Table A-1), at most 20 (AI 21)
_FAST_SGTIN = re.compile(
    r"urn:epc:id:sgtin:(\d{6,12})\.(\d{1,7})\.([!'()*+,\-.0-9:;=A-Z_a-z]{1,20})"
)


@dataclass(frozen=True, slots=True)
class Item:
    key: str  # "<gtin14>/<serial>": the identity verdicts are kept by
    gtin: str
    serial: str
    lot: str | None = None
    expiry: date | None = None
    urn: str | None = None


def parse_item(text: str) -> Item | None:
    """The serialised item ``text`` names (SGTIN URN or Digital Link with 01 + 21), else None."""
    if text.startswith(SGTIN):
        m = _FAST_SGTIN.fullmatch(text)
        if m is not None and len(m[1]) + len(m[2]) == 13:
            cp, ref, serial = m[1], m[2], m[3]
            body = ref[:1] + cp + ref[1:]
            gtin = body + gtin_check_digit(body)
            return Item(f"{gtin}/{serial}", gtin, serial, urn=text)
        return _core_urn(text)
    if text.startswith(("http://", "https://")):
        return _digital_link(text)
    return None


@lru_cache(maxsize=4096)
def _core_urn(text: str) -> Item | None:
    try:
        urn = parse_epc_urn(text)
    except IdentifierError:
        return None
    if urn.scheme != "sgtin":
        return None
    data = dict(urn.elements)
    gtin, serial = data["01"], data["21"]
    return Item(f"{gtin}/{serial}", gtin, serial, urn=text)


@lru_cache(maxsize=4096)
def _digital_link(text: str) -> Item | None:
    try:
        dl = parse_digital_link(text)
    except IdentifierError:
        return None
    if dl.primary[0] != "01":
        return None
    quals = dict(dl.qualifiers)
    serial = quals.get("21")
    if not serial:
        return None
    gtin = dl.primary[1]
    attrs = dict(dl.attributes)
    expiry = None
    if "17" in attrs:
        try:
            expiry = parse_gs1_date(attrs["17"], field="17", allow_day_zero=True)
        except IdentifierError:
            expiry = None
    return Item(f"{gtin}/{serial}", gtin, serial, lot=quals.get("10"), expiry=expiry)
