"""Item identities in scans: SGTIN EPC URNs and GS1 Digital Link URIs (gtin, serial, lot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True, slots=True)
class Item:
    key: str  # "<gtin14>/<serial>": the identity verdicts are kept by
    gtin: str
    serial: str
    lot: str | None = None
    expiry: date | None = None
    urn: str | None = None


def check_digit(body: str) -> str:
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def parse_item(text: str) -> Item | None:
    if text.startswith("urn:epc:id:sgtin:"):
        try:
            cp, ir, serial = text[len("urn:epc:id:sgtin:") :].split(".", 2)
        except ValueError:
            return None
        if not (cp.isdigit() and ir.isdigit()) or len(cp) + len(ir) != 13:
            return None
        body = ir[:1] + cp + ir[1:]
        gtin = body + check_digit(body)
        serial = unquote(serial)
        return Item(f"{gtin}/{serial}", gtin, serial, urn=text)
    if text.startswith(("http://", "https://")):
        return _digital_link(text)
    return None


def _digital_link(text: str) -> Item | None:
    parts = urlsplit(text)
    segs = [unquote(s) for s in parts.path.split("/") if s]
    if "01" not in segs:
        return None
    i = segs.index("01")
    pairs = dict(zip(segs[i::2], segs[i + 1 :: 2], strict=False))
    gtin, serial = pairs.get("01", "").rjust(14, "0"), pairs.get("21")
    if not serial or not gtin.isdigit():
        return None
    expiry = None
    exp = parse_qs(parts.query).get("17", [None])[0]
    if exp and len(exp) == 6 and exp.isdigit():
        yy, mm, dd = int(exp[:2]), int(exp[2:4]), int(exp[4:])
        try:
            expiry = date(2000 + yy, mm, dd or 28)
        except ValueError:
            expiry = None
    urn = None
    return Item(f"{gtin}/{serial}", gtin, serial, lot=pairs.get("10"), expiry=expiry, urn=urn)


def sgtin_urn(item: Item, company_prefix_length: int = 7) -> str:
    """The SGTIN URN of an item (needs the company prefix length; 7 is the common case)."""
    ind, rest = item.gtin[0], item.gtin[1:13]
    return (
        f"urn:epc:id:sgtin:{rest[:company_prefix_length]}.{ind}{rest[company_prefix_length:]}"
        f".{item.serial}"
    )
