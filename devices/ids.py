"""What a 2D code scan means to a device: its GS1 AIs and the EPC it identifies.

Parsing, validation and the EPC URN / Digital Link conversions are
:mod:`traceability.identifiers`; this module only picks what a scanning device records.
"""

from __future__ import annotations

from dataclasses import dataclass

from traceability.identifiers import (
    epc_urn_from_elements,
    parse_digital_link,
    parse_element_string,
    to_digital_link,
)
from traceability.identifiers import errors as ec
from traceability.identifiers.digital_link import CANONICAL_DOMAIN, PRIMARY_KEYS
from traceability.identifiers.errors import IdentifierError


@dataclass(frozen=True, slots=True)
class Scan:
    """What a 2D code said: its AIs, plus the EPC (instance or class) it identifies."""

    ais: dict[str, str]
    epc: str | None  # urn:epc:id:sgtin / sscc
    epc_class: str | None  # urn:epc:class:lgtin when only GTIN + lot
    digital_link: str | None


def parse_scan(data: str, *, cp_len: int | None = None, base: str = CANONICAL_DOMAIN) -> Scan:
    """A DataMatrix/QR payload (GS1 element string, bracketed or raw with FNC1, or a Digital Link
    URI) -> its AIs and the SSCC / SGTIN URN, or the LGTIN class when it carries a lot only.

    ``cp_len``: the GS1 Company Prefix length; None looks it up in the identifier core's prefix
    table (the same answer as ``tracectl id check``), a number overrides it (a party's
    registered prefix).

    Raises :class:`~traceability.identifiers.IdentifierError` for malformed data (check digits
    included) and for a scan that carries no SSCC, no GTIN + serial and no GTIN + lot.
    """
    text = data.strip()
    if text.lower().startswith(("http://", "https://")):
        ais = dict(parse_digital_link(text).elements)
    else:
        ais = parse_element_string(text).as_dict()
    if "00" in ais:
        identity = {"00": ais["00"]}
    elif "01" in ais and ("21" in ais or "10" in ais):
        qualifier = "21" if "21" in ais else "10"
        identity = {"01": ais["01"], qualifier: ais[qualifier]}
    else:
        raise IdentifierError(
            f"scan carries no SSCC, GTIN + serial or GTIN + lot: {data!r}",
            code=ec.NOT_ENCODABLE,
            field="scan",
            value=data,
        )
    urn = epc_urn_from_elements(identity, cp_len)
    key = next(iter(identity))
    link = to_digital_link(
        {ai: v for ai, v in ais.items() if ai == key or ai not in PRIMARY_KEYS}, domain=base
    )
    is_class = "10" in identity
    return Scan(
        ais=ais,
        epc=None if is_class else urn,
        epc_class=urn if is_class else None,
        digital_link=link,
    )
