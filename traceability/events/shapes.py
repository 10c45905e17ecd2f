"""Validation and the event hash decided once per event *shape*, per event only what varies.

In a stream of events from one device most of each event is the same from event to event
(type, action, bizStep, readPoint, time zone...); only ``eventTime`` and the EPCs differ. A
*shape* is everything but the values of those *varying fields* (:data:`VARYING`):

* the key of a shape is the exact bytes orjson writes for the other members, in their order
  (``1``, ``1.0`` and ``true`` differ; so does any nested value), and for each varying field
  its name, its Python type and, for a list, its length. Whatever the reference decides from
  the fixed members and the lengths alone is therefore the same for every event of the shape.
* the first event of a shape goes through the reference (:func:`validate_event` with
  ``check_times=False``, :func:`event_hash`); only a shape found valid is kept, with the fixed
  part of its pre-hash (the fast path's parts of the fixed fields, :mod:`.hash.fast`) and the
  hashing context (which only depends on the fixed ``@context``).
* a later event of a kept shape is valid exactly when its varying values pass what the schema
  and the rules ask of them alone, checked here per event: ``eventTime`` a string matching
  :data:`~traceability.events._schema.RFC3339` (the schema's ``type`` and ``date-time``, its only
  constraints), every EPC a string (the schema's ``items``), no EPC twice in one list (the
  schema's ``uniqueItems``; also asked of ``childEPCs``, where it is stricter than the schema:
  such an event just takes the reference) and :func:`~traceability.events._ids.check_identifier`
  passes for each (the rule's check digits and structure). ``minItems``, ``missing_children``
  and ``empty_transformation`` depend on the lengths only, which are in the key. Times against a
  clock are not part of it (``check_times=False``): the caller judges them per event.

Anything else takes the reference and its answer is returned unchanged: a varying value that
fails those checks, a key orjson cannot write (a lone surrogate, an integer beyond 64 bits), a
``null`` in the fixed members (orjson writes NaN as ``null`` too), a varying part the fast
pre-hash cannot write. So :meth:`ShapeCache.check` always answers what
``(validate_event(e, check_times=False), event_hash(e))`` answers;
``tests/unit/events/test_shapes.py`` cross-checks it on generated events and the bad-input
corpus. At most ``max_shapes`` shapes are kept (the cache starts over when full).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

import orjson

from traceability.events._ids import check_identifier
from traceability.events._schema import RFC3339
from traceability.events.errors import ValidationIssue
from traceability.events.hash.fast import POSITION, fast_prehash, field_part
from traceability.events.hash.tree import Ctx, ctx_for, plain
from traceability.events.hashing import event_hash
from traceability.events.validation import validate_event

__all__ = ["VARYING", "ShapeCache"]

VARYING: Final = frozenset(["eventTime", "epcList", "childEPCs", "inputEPCList", "outputEPCList"])
_EPC_LISTS: Final = VARYING - {"eventTime"}
_RFC3339_MATCH: Final = RFC3339.match


@dataclass(frozen=True, slots=True)
class _Shape:
    ctx: Ctx
    head: str  # "eventType=..."
    fixed: tuple[tuple[int, str], ...]  # (position, part) of the fixed fields, non-empty parts
    varying: tuple[tuple[int, str], ...]  # (position, name) of the varying fields present
    template: bool  # False: the fast pre-hash does not cover the shape (tree walk per event)
    epc_lists: tuple[str, ...]  # the EPC lists present (lists: their type is in the key)


class ShapeCache:
    """Per-shape validation and pre-hash (module docstring); safe to share between threads
    (entries are immutable, a lost race only computes one twice)."""

    def __init__(self, *, max_shapes: int = 1024) -> None:
        self.max_shapes = max_shapes
        self._shapes: dict[tuple[bytes, tuple[tuple[str, type, int], ...]], _Shape] = {}
        self.hits = self.misses = 0

    def check(self, event: Any, *, index: int = 0) -> tuple[list[ValidationIssue], str | None]:
        """``(validate_event(event, index=index, check_times=False), event_hash(event))``, the
        hash ``None`` when there are issues."""
        key = _key(event)
        shape = self._shapes.get(key) if key is not None else None
        if shape is not None:
            found = _fast(event, shape)
            if found is not None:
                self.hits += 1
                return [], found
        self.misses += 1
        issues = validate_event(event, index=index, check_times=False)
        if issues:
            return issues, None
        digest = event_hash(event)
        if key is not None and shape is None:
            if len(self._shapes) >= self.max_shapes:
                self._shapes.clear()
            self._shapes[key] = _shape_of(event)
        return [], digest


def _key(event: Any) -> tuple[bytes, tuple[tuple[str, type, int], ...]] | None:
    if type(event) is not dict:
        return None
    varying: list[tuple[str, type, int]] = []
    fixed: dict[str, Any] = {}
    for k, v in event.items():
        if k in VARYING:
            varying.append((k, type(v), len(v) if type(v) is list else -1))
        else:
            fixed[k] = v
    try:
        text = orjson.dumps(fixed)
    except (orjson.JSONEncodeError, TypeError):
        return None
    if b"null" in text:  # NaN and None both write null: no key
        return None
    return text, tuple(varying)


def _shape_of(event: dict[str, Any]) -> _Shape:
    ctx = ctx_for(event, None, ())
    head = "eventType=" + plain(event.get("type", ""))
    fixed: list[tuple[int, str]] = []
    varying: list[tuple[int, str]] = []
    template = fast_prehash(event, ctx) is not None
    for k, v in event.items():
        if k not in POSITION:
            continue  # not hashed (the fast pre-hash covers the shape only without such keys)
        if k in VARYING:
            varying.append((POSITION[k], k))
        elif template:
            part = field_part(k, v, ctx)
            if part:
                fixed.append((POSITION[k], part))
    lists = tuple(k for k in event if k in _EPC_LISTS)
    return _Shape(ctx, head, tuple(fixed), tuple(varying), template, lists)


def _fast(event: dict[str, Any], shape: _Shape) -> str | None:
    """The event hash if the varying values pass their own checks, else None (reference)."""
    when = event.get("eventTime")  # a string in a valid shape (its type is in the key)
    if when is not None and _RFC3339_MATCH(when) is None:
        return None
    for name in shape.epc_lists:
        epcs = event[name]
        for epc in epcs:
            if type(epc) is not str or check_identifier(epc) is not None:
                return None
        if len(epcs) > 1 and len(set(epcs)) != len(epcs):
            return None
    if not shape.template:
        return event_hash(event)
    parts = list(shape.fixed)
    for pos, name in shape.varying:
        part = field_part(name, event[name], shape.ctx)
        if part is None:
            return None
        if part:
            parts.append((pos, part))
    parts.sort()
    pre = shape.head + "".join([p for _, p in parts])
    return f"ni:///sha-256;{hashlib.sha256(pre.encode('utf-8')).hexdigest()}?ver=CBV2.0"
