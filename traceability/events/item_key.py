"""One key per item: the canonical GS1 Digital Link of an EPC, whichever form it was sent in.

The ledger's item chains (``items`` of a v2 custody record, ``ledger_item``), the trace graph's
nodes (``trace_edge``) and every item look-up use :func:`item_key`, so an item sent as a Digital
Link and later as an EPC URN continues one chain and is one trace node (issue 12, item 4).

Why this form (docs/validation.md, "Item keys"):

1. **The event hash's identity, by construction.** The key is computed from
   :func:`traceability.events._dl.normalise`, the identifier step of the CBV 2.0 event hash: two
   forms the event hash treats as one item always get one key.
2. **Rendered by the identifier core.** The normaliser's result (or, where it gives up, the input)
   is parsed by :mod:`traceability.identifiers` (``parse_digital_link`` / ``parse_epc_urn``) and
   written back with ``build_digital_link``: primary key + key qualifiers on ``id.gs1.org``
   (as the hash's rule has it: no CPV, no lot beside a serial),
   every value percent-encoded one way (RFC 3986 unreserved characters kept, all others
   ``%XX``). So a serial needing escapes (``a/b``, ``a!b``, ``%``) has one key whether it came as
   an EPC URN (``a%2Fb``, ``a!b``), a Digital Link on any domain or with a query string.
3. **Digital Link, not EPC URN.** A GS1 key does not carry its company-prefix length, so a URN
   key would depend on a table or a guess; the Digital Link is fixed by the key itself.
4. **Cheap on the ingest path.** The normaliser is cached; a result that is already in the
   core's canonical form (the usual case: digits and letters only) is returned without a second
   parse (:data:`_PLAIN`; a property test holds it to the slow path).

Anything else (private URIs, EPC schemes neither side knows, malformed values) is its own key,
unchanged. Keys are fixed points: ``item_key(item_key(x)) == item_key(x)``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from traceability.events._dl import normalise
from traceability.identifiers.digital_link import build_digital_link, parse_digital_link
from traceability.identifiers.epc import parse_epc_urn
from traceability.identifiers.errors import IdentifierError

__all__ = ["is_lot_class", "item_elements", "item_key", "item_key_slow"]

# A normalised Digital Link whose values need no percent-encoding: already the core's form.
# (A value with '%', '!', '#', '/', ... takes the slow path.)
_PLAIN = re.compile(
    r"https://id\.gs1\.org/(?:00|01|253|255|401|402|414|417|8003|8004|8006|8017|8018)"
    r"/[0-9A-Za-z._~-]+(?:/(?:10|21|235|254)/[0-9A-Za-z._~-]+)?\Z"
)


def _core(text: str) -> str | None:
    """The identifier core's canonical Digital Link (primary key + qualifiers), or None."""
    try:
        if text.startswith(("http://", "https://")):
            dl = parse_digital_link(text)
            # as the event hash's rule: no CPV, and no lot beside a serial
            serial = any(ai == "21" for ai, _ in dl.qualifiers)
            quals = [(a, v) for a, v in dl.qualifiers if a != "22" and not (a == "10" and serial)]
            return build_digital_link(dl.primary, quals)
        if text[:8].lower() == "urn:epc:":
            from traceability.identifiers.digital_link import to_digital_link

            return to_digital_link(parse_epc_urn(text).elements)
    except (IdentifierError, ValueError):
        return None
    return None


# GS1 Tag Data Standard: an SGLN's extension "0" means "no extension" (``urn:epc:id:sgln:
# 0614141.12345.0`` is the GLN alone), so the Digital Link's ``/254/0`` names the same place
_ZERO_EXTENSION = re.compile(r"(https://id\.gs1\.org/414/[0-9]{13})/254/0\Z")


def _one_place(key: str) -> str:
    return _ZERO_EXTENSION.sub(r"\1", key)


def item_key_slow(text: str) -> str:
    """:func:`item_key` without the fast path (the definition; tests compare the two)."""
    norm = normalise(text)
    return _one_place(_core(norm or text) or norm or text)


@lru_cache(maxsize=65536)
def item_key(text: str) -> str:
    """The one key of an item (see the module docstring)."""
    norm = normalise(text)
    if norm is not None and _PLAIN.match(norm):
        return _one_place(norm)
    return _one_place(_core(norm or text) or norm or text)


@lru_cache(maxsize=16384)
def item_elements(text: str) -> dict[str, str]:
    """The GS1 AIs (primary key + qualifiers) an item id names, in either form (a key, any
    Digital Link, an EPC URN); ``{}`` when it names none."""
    key = item_key(text)
    if not key.startswith("https://"):
        return {}
    try:
        dl = parse_digital_link(key)
    except (IdentifierError, ValueError):
        return {}
    return dict(dl.primary_and_qualifiers)


def is_lot_class(text: str) -> bool:
    """Whether an item id names a lot (GTIN + lot, no serial): an LGTIN class or its key."""
    ai = item_elements(text)
    return "01" in ai and "10" in ai and "21" not in ai
