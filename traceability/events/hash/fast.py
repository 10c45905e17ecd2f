"""The event hash's fast path: the usual event shapes serialised straight from the JSON.

:func:`fast_prehash` gives exactly the pre-hash string of the generic tree walk in
:mod:`traceability.events.hashing` (a property test checks it against that walk), for events
made only of the standard fields below in their usual JSON shapes; anything else (extensions,
``ilmd``, sensor data, ``persistentDisposition``, ``#text``, ignored fields, odd shapes) returns
``None`` and takes the generic path. Skipping the intermediate tree (building nodes, reshaping
them into the XML binding, scanning them once per property name) is what makes it ~3x faster.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

from traceability.events.hash.canon import canonical_value, normalise_timestamp
from traceability.events.hash.tree import IGNORED_TOP, SKIP_KEYS, Ctx, plain
from traceability.events.vocab import Vocab

__all__ = ["ORDER", "POSITION", "fast_prehash", "field_part"]

# the top-level names of profiles.PROP_ORDER, in that order (a test checks they are the same)
ORDER: Final = (
    "eventTime", "eventTimeZoneOffset", "certificationInfo", "epcList", "parentID",
    "inputEPCList", "childEPCs", "quantityList", "childQuantityList", "inputQuantityList",
    "outputEPCList", "outputQuantityList", "action", "transformationID", "bizStep", "disposition",
    "persistentDisposition", "readPoint", "bizLocation", "bizTransactionList", "sourceList",
    "destinationList", "sensorElementList",
)  # fmt: skip
_SCALARS: Final = {
    "eventTime": None, "eventTimeZoneOffset": None, "certificationInfo": None, "parentID": None,
    "action": None, "transformationID": None,
    "bizStep": Vocab.BIZ_STEP, "disposition": Vocab.DISPOSITION,
}  # fmt: skip
_EPC_LISTS: Final = frozenset(["epcList", "inputEPCList", "childEPCs", "outputEPCList"])
_QTY_LISTS: Final = frozenset(
    ["quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"]
)
_QTY_KEYS: Final = ("epcClass", "quantity", "uom")
_PAIR_KEYS: Final = {
    "bizTransactionList": ("bizTransaction", Vocab.BIZ_TRANSACTION_TYPE),
    "sourceList": ("source", Vocab.SOURCE_DEST_TYPE),
    "destinationList": ("destination", Vocab.SOURCE_DEST_TYPE),
}
_PLACES: Final = frozenset(["readPoint", "bizLocation"])
_NOT_HASHED: Final = IGNORED_TOP | SKIP_KEYS
_POSITION: Final = {name: i for i, name in enumerate(ORDER)}
_SCALAR_TYPES: Final = (str, int, float, bool, type(None))


def _text(raw: Any, ctx: Ctx, hint: Vocab | None = None) -> str:
    return ctx.value(raw, hint).strip()


def _pair(entry: dict[str, Any], value_key: str, hint: Vocab, ctx: Ctx) -> str | None:
    """``type=…<value key>=…`` of one bizTransaction/source/destination entry."""
    out = ""
    for key, vocab in (("type", hint), (value_key, None)):
        if key in entry:
            raw = entry[key]
            if not isinstance(raw, _SCALAR_TYPES):
                return None
            text = _text(raw, ctx, vocab)
            out += key + ("=" + canonical_value(text) if text else "")
    return out if len(entry) == (("type" in entry) + (value_key in entry)) else None


@lru_cache(maxsize=8192, typed=True)  # typed: 1, 1.0 and True are spelt differently
def _scalar(key: str, raw: Any, ctx: Ctx) -> str:
    """``key=value`` of a scalar field or ``readPoint``/``bizLocation`` id ("" if empty)."""
    if key in _PLACES:
        text = _text(raw, ctx)
        return key + "id=" + canonical_value(text) if text else ""
    text = _text(raw, ctx, _SCALARS[key])
    if not text:
        return ""
    return key + "=" + (normalise_timestamp(text) if key == "eventTime" else canonical_value(text))


def _field(key: str, val: Any, ctx: Ctx) -> str | None:
    """The pre-hash part of one top-level field ("" for nothing), None if not a usual shape."""
    if key == "eventTime":  # different in every event: not worth caching
        if not isinstance(val, _SCALAR_TYPES):
            return None
        text = _text(val, ctx)
        return "eventTime=" + normalise_timestamp(text) if text else ""
    if key in _SCALARS:
        return _scalar(key, val, ctx) if isinstance(val, _SCALAR_TYPES) else None
    if type(val) is not list:
        if key in _PLACES and type(val) is dict and val.keys() <= {"id"}:
            raw = val.get("id")
            return _scalar(key, raw, ctx) if isinstance(raw, _SCALAR_TYPES) else None
        return None
    if key in _EPC_LISTS:
        epcs = []
        for raw in val:
            if not isinstance(raw, _SCALAR_TYPES):
                return None
            text = _text(raw, ctx)
            if text:
                epcs.append("epc=" + canonical_value(text))
        return key + "".join(sorted(epcs)) if epcs else ""
    if key in _QTY_LISTS:
        elems = []
        for q in val:
            if type(q) is not dict or not q or not q.keys() <= set(_QTY_KEYS):
                return None
            parts = ""
            for name in _QTY_KEYS:
                if name in q:
                    if not isinstance(q[name], _SCALAR_TYPES):
                        return None
                    text = _text(q[name], ctx)
                    if text:
                        parts += name + "=" + canonical_value(text)
            if parts:
                elems.append("quantityElement" + parts)
        return key + "".join(sorted(elems)) if elems else ""
    if key in _PAIR_KEYS:
        if not val:
            return ""
        value_key, hint = _PAIR_KEYS[key]
        pairs = []
        for entry in val:
            pair = _pair(entry, value_key, hint, ctx) if type(entry) is dict else None
            if pair is None:
                return None
            pairs.append(pair)
        return key + "".join(sorted(pairs))
    return None


field_part = _field  # one top-level field's part (for the per-shape template, events.shapes)
POSITION: Final = _POSITION


def fast_prehash(event: Mapping[str, Any], ctx: Ctx) -> str | None:
    """The pre-hash string of ``event``, or ``None`` if it needs the generic tree walk."""
    if ctx.ignore:
        return None
    found: list[tuple[int, str]] = []
    for key, val in event.items():
        if key in _NOT_HASHED:
            continue
        part = _field(key, val, ctx)
        if part is None:
            return None
        if part:
            found.append((_POSITION[key], part))
    found.sort()
    return "eventType=" + plain(event.get("type", "")) + "".join([part for _, part in found])
