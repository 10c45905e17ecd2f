"""CBV 2.0 Event Hash ID (GS1 CBV 2.0 §8.9): canonical pre-hash string and ``ni:`` URI.

The algorithm, as specified by CBV 2.0 and implemented by the reference generator
(RalphTro/epcis-event-hash-generator), whose published test vectors this module reproduces:

1. The event is read as a tree of ``(name, value, children)`` nodes, the shape of its XML
   binding: JSON arrays become repeated elements; ``fooList`` arrays become a ``fooList`` element
   with ``foo`` children (``quantityList`` → ``quantityElement``, ``inputEPCList`` → ``epc``...);
   ``childEPCs`` → ``epc`` children; ``bizTransactionList`` / ``sourceList`` /
   ``destinationList`` entries become (type, value) pairs. Prefixed keys (``example:myField``)
   become ``{namespace-uri}myField`` using the document's ``@context``; ``rdfs:comment`` and
   ``comment`` are dropped; bare CBV words and GS1 CURIEs in values are expanded to their
   Web-vocabulary URIs (``shipping`` → ``https://ref.gs1.org/cbv/BizStep-shipping``).
2. The pre-hash string is ``eventType=<type>``, then the standard fields in the fixed property
   order below, each as ``name=value`` (containers as ``name`` + their children in their own
   fixed order); several elements of the same name are sorted (code-point order) by their
   strings. ``bizTransactionList`` / ``sourceList`` / ``destinationList`` entries are written
   ``type=…<value name>=…`` and sorted. User extensions inside a standard container follow its
   standard children. Everything left over (``ilmd``, event-level user extensions) follows,
   generically serialised and sorted; ``eventID``, ``recordTime``,
   ``errorDeclaration`` and ``type`` are never part of it. The parts are joined with nothing.
3. Values are canonicalised: trimmed; timestamps (names containing ``time``, not ``offset``)
   to UTC ``YYYY-MM-DDThh:mm:ss.mmmZ`` (millisecond rounding half-up); CBV URNs to Web URIs;
   numbers without redundant zeros (``26.0`` → ``26``); EPC URIs / GS1 Digital Links to the
   constrained canonical Digital Link (``urn:epc:id:sgtin:0614141.107346.2017`` →
   ``https://id.gs1.org/01/10614141073464/21/2017``).
4. The hash is ``ni:///sha-256;<hex of SHA-256(UTF-8 pre-hash)>?ver=CBV2.0``.

Deviations from the reference code, where its behaviour depends on accidents (each affects only
documents outside the published cases): (type, value) pairs are always serialised type first
(the reference follows JSON key order, identical for every published document); an entry without
a ``type`` is serialised alone (the reference drops the whole event); an event-level
``@context`` is ignored; naive timestamps are taken as UTC (the reference uses the host zone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, Final

from traceability.events._canon import canonical_value, normalise_timestamp
from traceability.events._fasthash import fast_prehash
from traceability.events._tree import (
    IGNORED_TOP,
    PAIR_VALUES,
    Ctx,
    Node,
    ctx_for,
    namespaces,
    tree,
)

__all__ = [
    "canonical_value",
    "document_hashes",
    "document_prehashes",
    "event_hash",
    "namespaces",
    "normalise_timestamp",
    "prehash_string",
]

_Order = tuple[tuple[str, Any], ...]

_METADATA: Final = (
    "time startTime endTime deviceID deviceMetadata rawData dataProcessingMethod bizRules"
)
_REPORT: Final = (
    "type exception deviceID deviceMetadata rawData dataProcessingMethod time microorganism "
    "chemicalSubstance value component stringValue booleanValue hexBinaryValue uriValue minValue "
    "maxValue meanValue sDev percRank percValue uom coordinateReferenceSystem"
)


def _leaves(names: str) -> _Order:
    return tuple((n, None) for n in names.split())


_Q: Final[_Order] = (("epcClass", None), ("quantity", None), ("uom", None))
_PAIRS: Final = ("pairs",)  # marker: a list of (type, value) pairs
PROP_ORDER: Final[_Order] = (
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("parentID", None),
    ("epcList", (("epc", None),)),
    ("inputEPCList", (("epc", None),)),
    ("childEPCs", (("epc", None),)),
    ("quantityList", (("quantityElement", _Q),)),
    ("childQuantityList", (("quantityElement", _Q),)),
    ("inputQuantityList", (("quantityElement", _Q),)),
    ("outputEPCList", (("epc", None),)),
    ("outputQuantityList", (("quantityElement", _Q),)),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", (("set", None), ("unset", None))),
    ("readPoint", (("id", None),)),
    ("bizLocation", (("id", None),)),
    ("bizTransactionList", _PAIRS),
    ("sourceList", _PAIRS),
    ("destinationList", _PAIRS),
    (
        "sensorElementList",
        (
            (
                "sensorElement",
                (
                    ("sensorMetadata", _leaves(_METADATA)),
                    ("sensorReport", _leaves(_REPORT)),
                ),
            ),
        ),
    ),
)


def _child_string(child: Node, sub: Any) -> str:
    grand = _in_order(child[2], sub) if sub else ""
    text = ""
    if child[1]:
        value = child[1].strip()
        lname = child[0].lower()
        if "time" in lname and "offset" not in lname:
            value = normalise_timestamp(value)
        else:
            value = canonical_value(value)
        if value:
            text = "=" + value
    if text or grand:
        return str(child[0]) + text + grand
    return ""


def _is_ext(name: Any) -> bool:
    return isinstance(name, str) and "{" in name and "/}" in name


def _in_order(children: list[Node], order: Any) -> str:
    """Serialise (and consume) the children named in ``order``; leaves the rest in place."""
    ext: list[Node] = []
    if len(children) > 1 and not any(
        isinstance(c[0], str) and ("eventTime" in c[0] or "action" in c[0]) for c in children
    ):
        ext = [c for c in children if _is_ext(c[0])]
        if ext:
            children[:] = [c for c in children if not _is_ext(c[0])]
    parts: list[str] = []
    for name, sub in order:
        same = [c for c in children if c[0] == name]
        if not same:
            continue
        values = []
        if sub is _PAIRS:  # (type, value) pairs: sorted generically, consumed whole
            values = [str(c[0]) + _generic(c[2]) for c in same if c[2]]
            for c in same:
                c[2] = []
        else:
            for child in same:
                s = _child_string(child, sub)
                if s:
                    values.append(s)
        done = {id(c) for c in same if not c[2]}
        if done:
            children[:] = [c for c in children if id(c) not in done]
        values.sort()
        parts.extend(values)
    if ext:
        parts.append(_generic(ext))
    return "".join(parts)


def _generic(children: list[Node]) -> str:
    values = []
    for child in children:
        if child[0] is None:  # a (type, value) pair: kept in that order
            values.append(_generic(child[2]))
            continue
        text = child[1].strip()
        if text:
            text = "=" + canonical_value(text)
        values.append(child[0] + text + _generic(child[2]))
    if len(children) > 1 and not any(c[0] in PAIR_VALUES for c in children):
        values.sort()
    return "".join(values)


def prehash_string(
    event: Mapping[str, Any], *, context: Any = None, ignore_fields: Iterable[str] = ()
) -> str:
    """The canonical CBV 2.0 pre-hash string of one EPCIS 2.0 JSON(-LD) event.

    ``context`` is the enclosing document's ``@context`` (for extension namespaces); without
    it the event's own ``@context`` and the standard prefixes (cbv, gs1, epcis) are used.
    ``ignore_fields`` are keys (as written, e.g. ``"example:captureID"``) left out of the hash.
    """
    ctx = ctx_for(event, context, ignore_fields)
    fast = fast_prehash(event, ctx)  # the usual shapes; same string as tree_prehash
    return fast if fast is not None else tree_prehash(event, ctx)


def tree_prehash(event: Mapping[str, Any], ctx: Ctx) -> str:
    """The pre-hash string by the generic tree walk (steps 1-3 of the module docstring)."""
    children = tree(event, ctx)
    event_type = event.get("type", "")
    standard = _in_order(children, PROP_ORDER)
    rest = [c for c in children if c[0] not in IGNORED_TOP]
    return "eventType=" + str(event_type) + standard + (_generic(rest) if rest else "")


def event_hash(
    event: Mapping[str, Any],
    *,
    context: Any = None,
    ignore_fields: Iterable[str] = (),
    algorithm: str = "sha-256",
) -> str:
    """CBV 2.0 Event Hash ID: ``ni:///sha-256;<hex>?ver=CBV2.0`` (also sha-384, sha-512)."""
    pre = prehash_string(event, context=context, ignore_fields=ignore_fields).encode("utf-8")
    if algorithm == "sha-256":
        digest = hashlib.sha256(pre).hexdigest()
    elif algorithm in ("sha-384", "sha-512"):
        digest = hashlib.new(algorithm.replace("-", ""), pre).hexdigest()
    else:
        raise ValueError(f"unsupported hash algorithm {algorithm!r}")
    return f"ni:///{algorithm};{digest}?ver=CBV2.0"


def _ignore_fields(doc: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    body = doc.get("epcisBody")
    places: list[Any] = [doc]
    if isinstance(body, Mapping):
        places.append(body.get("queryResults"))
    for place in places:
        if isinstance(place, Mapping):
            for key, value in place.items():
                if key.split(":")[-1] == "ignoreFields" and isinstance(value, list):
                    out.extend(str(v) for v in value)
    return out


def _doc_events(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    from traceability.events.service import document_events

    return document_events(doc)


def document_prehashes(doc: Mapping[str, Any]) -> list[str]:
    """Pre-hash strings of every event of an EPCISDocument / EPCISQueryDocument, in order."""
    context, ignore = doc.get("@context"), _ignore_fields(doc)
    return [prehash_string(e, context=context, ignore_fields=ignore) for e in _doc_events(doc)]


def document_hashes(doc: Mapping[str, Any], *, algorithm: str = "sha-256") -> list[str]:
    """Event Hash IDs of every event of a document, in document order."""
    context, ignore = doc.get("@context"), _ignore_fields(doc)
    return [
        event_hash(e, context=context, ignore_fields=ignore, algorithm=algorithm)
        for e in _doc_events(doc)
    ]
