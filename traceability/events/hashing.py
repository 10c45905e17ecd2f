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
   ``type=…<value name>=…`` and sorted. User extensions inside sensor data (``sensorElement``,
   ``sensorMetadata``, ``sensorReport``) follow that container's standard children. Then come
   ``ilmd``; the user extensions of ``readPoint`` / ``bizLocation``, each behind its
   container's name (``readPoint{ns}field=…``); and the event-level user extensions, each part
   generically serialised and sorted; ``eventID``, ``recordTime``,
   ``errorDeclaration`` and ``type`` are never part of it.
3. Values are canonicalised: trimmed; timestamps (names containing ``time``, not ``offset``)
   to UTC ``YYYY-MM-DDThh:mm:ss.mmmZ`` (millisecond rounding half-up); CBV URNs to Web URIs;
   numbers without redundant zeros (``26.0`` → ``26``); EPC URIs / GS1 Digital Links to the
   constrained canonical Digital Link (``urn:epc:id:sgtin:0614141.107346.2017`` →
   ``https://id.gs1.org/01/10614141073464/21/2017``). A NaN or infinite number has no
   canonical form: it raises :class:`~traceability.strict_json.NonFiniteNumberError` (naming
   the member), never hashes as the text ``nan``.
4. The hash is ``ni:///sha-256;<hex of SHA-256(UTF-8 pre-hash)>?ver=CBV2.0``.

Deviations from the reference code, where its behaviour depends on accidents (each affects only
documents outside the published cases): (type, value) pairs are always serialised type first
(the reference follows JSON key order, identical for every published document); an entry without
a ``type`` is serialised alone (the reference drops the whole event); an event-level
``@context`` is ignored; naive timestamps are taken as UTC (the reference uses the host zone).

Which generation of the reference vectors this follows (evidence and vectors:
tests/vectors/event-hash-upstream-revised/README.md). The binding vectors (shared/, upstream
@ 5d2f1c3) and the reference implementation's *current* CBV 2.0 output (expected/CBV2.0, commits
d8d8746 / 084b003 / cf6d2f0) disagree on the same documents. Where a binding vector pins a
behaviour, the binding vector wins (default profile ``"cbv2.0"``); where none does, this module
follows the CBV 2.0 text as the reference implementation now reads it:

* ``epcList`` precedes ``parentID`` (canonical property order 4, 5; upstream 084b003 "parentId
  should be after epcList"; no binding vector has both) — both profiles.
* ``readPoint`` / ``bizLocation`` user extensions go to the trailing block, prefixed with the
  container's name (CBV 2.0 rule 20; "append after standard field" is listed by upstream as a
  CBV 2.1 change; no binding vector has one) — both profiles; ReferenceEventHashAlgorithm3.

Divergent from the revised upstream (binding vectors pin the other behaviour), reproduced only by
``profile="cbv2.0-2025"``:

1. ``certificationInfo`` (after ``eventTimeZoneOffset``) is hashed; revised: dropped.
2. ``sensorElementList`` is written before the sensor elements; revised: omitted.
3. the GS1 Web Vocabulary (bare sensor ``type`` / ``exception`` words, ``gs1:``) expands to
   ``https://gs1.org/voc/`` (CBV 2.0 rule 15); revised: ``https://ref.gs1.org/voc/``.
4. user extensions inside sensor data follow their container's standard fields; revised: the
   trailing block ``sensorElement sensorMetadata{ns}… sensorReport{ns}… {ns}…`` after ``ilmd``.
5. a document's ``…:ignoreFields`` are left out of the hash; revised: hashed like any extension.

Revised upstream output not reproduced by either profile: ``epclist_normalisation`` (a change
of upstream's Digital Link normaliser, published without a pre-hash; the binding value is kept).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from traceability.events.hash.canon import canonical_value, normalise_timestamp
from traceability.events.hash.fast import fast_prehash
from traceability.events.hash.profiles import (
    DEFAULT_PROFILE,
    PROFILES,
    PROP_ORDER,
    REVISED_PROFILE,
    get_profile,
)
from traceability.events.hash.tree import IGNORED_TOP, Ctx, ctx_for, namespaces, plain, tree
from traceability.events.hash.walk import field_extensions, generic, in_order
from traceability.strict_json import NonFiniteNumberError, check_finite

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "PROP_ORDER",
    "REVISED_PROFILE",
    "canonical_value",
    "document_hashes",
    "document_prehashes",
    "event_hash",
    "namespaces",
    "normalise_timestamp",
    "prehash_string",
    "tree_prehash",
]


def prehash_string(
    event: Mapping[str, Any],
    *,
    context: Any = None,
    ignore_fields: Iterable[str] = (),
    profile: str = DEFAULT_PROFILE,
) -> str:
    """The canonical CBV 2.0 pre-hash string of one EPCIS 2.0 JSON(-LD) event.

    ``context`` is the enclosing document's ``@context`` (for extension namespaces); without
    it the event's own ``@context`` and the standard prefixes (cbv, gs1, epcis) are used.
    ``ignore_fields`` are keys (as written, e.g. ``"example:captureID"``) left out of the hash.
    ``profile`` is ``"cbv2.0"`` (default: the project's binding vectors) or ``"cbv2.0-2025"``
    (the reference implementation's revised CBV 2.0 output; see the module docstring).
    """
    try:
        if profile == DEFAULT_PROFILE:
            ctx = ctx_for(event, context, ignore_fields)
            fast = fast_prehash(event, ctx)  # the usual shapes; same string as tree_prehash
            return fast if fast is not None else tree_prehash(event, ctx)
        prof = get_profile(profile)
        return tree_prehash(event, ctx_for(event, context, ignore_fields, prof.gs1_voc), profile)
    except NonFiniteNumberError:
        check_finite(dict(event))  # the same error, naming the member
        raise


def tree_prehash(event: Mapping[str, Any], ctx: Ctx, profile: str = DEFAULT_PROFILE) -> str:
    """The pre-hash string by the generic tree walk (steps 1-3 of the module docstring)."""
    prof = get_profile(profile)
    children = tree(event, ctx)
    if not prof.cert:
        children = [c for c in children if c[0] != "certificationInfo"]
    event_type = event.get("type", "")
    standard = in_order(children, PROP_ORDER, prof)
    ilmd = [c for c in children if c[0] == "ilmd"]
    if ilmd:
        children = [c for c in children if c[0] != "ilmd"]
    fields = field_extensions(children, PROP_ORDER, prof, False)
    rest = [c for c in children if c[0] not in IGNORED_TOP]
    return (
        "eventType="
        + plain(event_type)
        + standard
        + (generic(ilmd) if ilmd else "")
        + fields
        + (generic(rest) if rest else "")
    )


def event_hash(
    event: Mapping[str, Any],
    *,
    context: Any = None,
    ignore_fields: Iterable[str] = (),
    algorithm: str = "sha-256",
    profile: str = DEFAULT_PROFILE,
) -> str:
    """CBV 2.0 Event Hash ID: ``ni:///sha-256;<hex>?ver=CBV2.0`` (also sha-384, sha-512).

    ``profile``: see :func:`prehash_string`; both profiles are labelled ``?ver=CBV2.0``.
    """
    pre = prehash_string(
        event, context=context, ignore_fields=ignore_fields, profile=profile
    ).encode("utf-8")
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
    from traceability.events.documents import document_events

    return document_events(doc)


def _doc_ignore(doc: Mapping[str, Any], profile: str) -> list[str]:
    """The document's ``…:ignoreFields`` (the revised upstream profile no longer honours them)."""
    return _ignore_fields(doc) if get_profile(profile).cert else []


def document_prehashes(doc: Mapping[str, Any], *, profile: str = DEFAULT_PROFILE) -> list[str]:
    """Pre-hash strings of every event of an EPCISDocument / EPCISQueryDocument, in order."""
    context, ignore = doc.get("@context"), _doc_ignore(doc, profile)
    return [
        prehash_string(e, context=context, ignore_fields=ignore, profile=profile)
        for e in _doc_events(doc)
    ]


def document_hashes(
    doc: Mapping[str, Any], *, algorithm: str = "sha-256", profile: str = DEFAULT_PROFILE
) -> list[str]:
    """Event Hash IDs of every event of a document, in document order."""
    context, ignore = doc.get("@context"), _doc_ignore(doc, profile)
    return [
        event_hash(e, context=context, ignore_fields=ignore, algorithm=algorithm, profile=profile)
        for e in _doc_events(doc)
    ]
