"""What each label carries: the Digital Link, the GS1 element string and the printed text.

Built with the identifier core (:mod:`traceability.identifiers`): the Digital Link has the
canonical qualifiers in the path (``/01/{gtin}/10/{lot}/21/{serial}``) and the expiry (AI 17) in
the query, on a configurable resolver domain; the element string for a GS1 DataMatrix is
``01 gtin 17 yymmdd 10 lot <GS> 21 serial`` (predefined-length AIs first, a GS after every
variable-length AI but the last; the symbol's leading FNC1 is the encoder's); the human-readable
text is the bracketed form the GS1 General Specifications ask for under the symbol.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from traceability.identifiers import to_element_string
from traceability.identifiers.ai import GS
from traceability.identifiers.digital_link import build_digital_link


@dataclass(frozen=True, slots=True)
class LabelData:
    """One label's identifiers: GTIN-14, lot, expiry and serial."""

    gtin: str
    lot: str
    expiry: dt.date
    serial: str

    @property
    def yymmdd(self) -> str:
        return self.expiry.strftime("%y%m%d")

    def elements(self) -> list[tuple[str, str]]:
        """AIs in element-string order: fixed-length (01)(17) first, then (10)(21)."""
        return [("01", self.gtin), ("17", self.yymmdd), ("10", self.lot), ("21", self.serial)]


def digital_link(data: LabelData, *, resolver: str) -> str:
    """``{resolver}/01/{gtin}/10/{lot}/21/{serial}?17={yymmdd}`` (values percent-encoded)."""
    return build_digital_link(
        ("01", data.gtin),
        [("10", data.lot), ("21", data.serial)],
        [("17", data.yymmdd)],
        domain=resolver,
    )


def digital_link_fast(data: LabelData, *, prefix: str) -> str:
    """:func:`digital_link` for a run: ``prefix`` is ``{resolver}/01/{gtin}/10/{lot}/21/``
    (from :func:`link_prefix`); equal output, without rebuilding the shared part per label."""
    return f"{prefix}{quote(data.serial, safe='')}?17={data.yymmdd}"


def link_prefix(*, gtin: str, lot: str, resolver: str) -> str:
    return f"{resolver.rstrip('/')}/01/{gtin}/10/{quote(lot, safe='')}/21/"


def element_string(data: LabelData) -> str:
    """Unbracketed GS1 element string with GS (0x1D) separators, no symbology prefix."""
    return to_element_string(data.elements(), bracketed=False)


def bracketed(data: LabelData) -> str:
    """``(01)...(17)...(10)...(21)...``: the human-readable interpretation."""
    return to_element_string(data.elements())


def zint_gs1(data: LabelData) -> str:
    """The ``[AI]value`` form zint's GS1 mode takes (it adds FNC1 and the separators)."""
    return "".join(f"[{ai}]{v}" for ai, v in data.elements())


def hri_lines(data: LabelData, *, product_name: str = "") -> list[str]:
    """Text printed under the codes: product, GTIN, lot, expiry, serial (one per line)."""
    lines = [product_name] if product_name else []
    lines += [
        f"(01) {data.gtin}",
        f"(17) {data.yymmdd}  EXP {data.expiry.isoformat()}",
        f"(10) {data.lot}",
        f"(21) {data.serial}",
    ]
    return lines


def gs_separated(data: LabelData) -> str:
    """:func:`element_string` with the GS shown as ``<GS>`` (for logs and JSON)."""
    return element_string(data).replace(GS, "<GS>")
