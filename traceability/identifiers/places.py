"""Places: a GLN and its optional extension, from any of the spellings GS1 allows.

A location is named by an SGLN EPC URN (``urn:epc:id:sgln:0614141.00001.0``; extension ``0``
means "no extension", TDS 2.x §6.3.3) or a GS1 Digital Link URI with primary key (414) and the
optional qualifier (254) (``https://id.gs1.org/414/0614141000012/254/dock3``), on any domain.
Both reduce to one :class:`Place`, so comparisons are exact on GLN and extension, never on
substrings of the text. Anything else (``geo:``, private URIs) is not a GS1 place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from traceability.identifiers import errors as ec
from traceability.identifiers.digital_link import parse_digital_link
from traceability.identifiers.epc import parse_epc_urn
from traceability.identifiers.errors import IdentifierError
from traceability.identifiers.gs1 import validate_gln

__all__ = ["Place", "parse_place", "place_of", "same_place"]

NO_EXTENSION = "0"  # the SGLN extension that stands for "the GLN itself"


@dataclass(frozen=True, slots=True)
class Place:
    """A GLN and its extension (AI 254); ``extension`` is None for the GLN itself."""

    gln: str
    extension: str | None = None

    def covers(self, other: Place) -> bool:
        """``other`` is this place, or (when this is a whole GLN) any extension of its GLN."""
        if other.gln != self.gln:
            return False
        return self.extension is None or other.extension == self.extension

    @property
    def digital_link(self) -> str:
        base = f"https://id.gs1.org/414/{self.gln}"
        if self.extension is None:
            return base
        from urllib.parse import quote

        return f"{base}/254/{quote(self.extension, safe='')}"


def _place(gln: str, extension: str | None) -> Place:
    return Place(gln, None if extension in (None, "", NO_EXTENSION) else extension)


@lru_cache(maxsize=4096)  # locations recur in event after event
def parse_place(text: str) -> Place:
    """The :class:`Place` named by an SGLN URN, a (414) Digital Link or a bare 13-digit GLN.

    Raises :class:`IdentifierError` (``invalid_uri`` when the text names no GLN at all).
    """
    if text.isascii() and text.isdigit():
        return Place(validate_gln(text))
    if text.lower().startswith("urn:epc:"):
        urn = parse_epc_urn(text)
        if urn.scheme != "sgln":
            raise IdentifierError(
                f"an EPC URN of scheme {urn.scheme!r} names no location (need sgln)",
                code=ec.INVALID_URN,
                field="scheme",
                value=urn.scheme,
            )
        data = dict(urn.elements)
        return _place(data["414"], data.get("254"))
    if text.lower().startswith(("http://", "https://")):
        dl = parse_digital_link(text)
        if dl.primary[0] != "414":
            raise IdentifierError(
                f"a Digital Link with primary key ({dl.primary[0]}) names no location (need 414)",
                code=ec.INVALID_URI,
                field="primary_key",
                value=dl.primary[0],
            )
        data = dict(dl.qualifiers)
        return _place(dl.primary[1], data.get("254"))
    raise IdentifierError(
        f"not a GS1 location (SGLN URN, (414) Digital Link or GLN): {text[:60]!r}",
        code=ec.UNRECOGNIZED,
        field="location",
        value=text[:200],
    )


def place_of(text: str) -> Place | None:
    """:func:`parse_place`, or None when ``text`` names no valid GS1 location."""
    try:
        return parse_place(text)
    except IdentifierError:
        return None


def same_place(a: str, b: str) -> bool:
    """``a`` and ``b`` name the same place: equal GLN and extension when both are GS1 places
    (in any spelling), else equal text."""
    if a == b:
        return True
    pa, pb = place_of(a), place_of(b)
    return pa is not None and pa == pb
