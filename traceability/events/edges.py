"""Trace-graph edges and touched items, derived from one EPCIS 2.0 event (pure functions).

The ``trace_edge`` table holds exactly :func:`derive_edges` of each stored event, in order, with
id ``ledger_index * EDGE_ID_STRIDE + position``; ``tracectl verify`` recomputes them.

Kinds:
- ``contains``: parent -> child (AggregationEvent / AssociationEvent, action ADD or OBSERVE).
- ``transforms``: input -> output (TransformationEvent).
- ``custody``: source party/location -> destination party/location, per item (events with
  both a ``sourceList`` and a ``destinationList``).
- ``observed``: item -> the business location (else the read point) where it was seen.

Items are written as sent (``keyed=False``: records of version 1) or by their one key
(``keyed=True``: :func:`traceability.events.item_key.item_key`, records of version 2 on), so
one item sent in two forms is one node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from traceability.events.item_key import item_key

EDGE_ID_STRIDE = 1 << 20
_SOURCE_PREFERENCE = (
    "urn:epcglobal:cbv:sdt:owning_party",
    "owning_party",
    "urn:epcglobal:cbv:sdt:possessing_party",
    "possessing_party",
    "urn:epcglobal:cbv:sdt:location",
    "location",
)


@dataclass(frozen=True, slots=True)
class Edge:
    kind: str
    src: str
    dst: str
    item: str | None


EdgeParts = tuple[str, str, str, str | None]  # kind, src, dst, item
_AGGREGATING = ("AggregationEvent", "AssociationEvent")


def _members(event: dict[str, Any], epc_key: str, quantity_key: str, keyed: bool) -> set[str]:
    """The EPC strings under ``epc_key`` and the ``epcClass`` strings under ``quantity_key``
    (by their :func:`item_key` when ``keyed``)."""
    out: set[str] = set()
    epcs = event.get(epc_key)
    if isinstance(epcs, list):
        out.update([v for v in epcs if isinstance(v, str)])
    quantities = event.get(quantity_key)
    if isinstance(quantities, list):
        for q in quantities:
            if isinstance(q, dict):
                c = q.get("epcClass")
                if isinstance(c, str):
                    out.add(c)
    return {item_key(v) for v in out} if keyed else out


def _id(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _party(entries: Any) -> str | None:
    if not isinstance(entries, list):
        return None
    by_type: dict[str, str] = {}
    for e in entries:
        if isinstance(e, dict) and isinstance(e.get("type"), str):
            value = e.get("source", e.get("destination"))
            if isinstance(value, str):
                by_type.setdefault(e["type"], value)
    for t in _SOURCE_PREFERENCE:
        if t in by_type:
            return by_type[t]
    return next(iter(sorted(by_type.values())), None)


def derive(event: dict[str, Any], *, keyed: bool = False) -> tuple[list[str], list[EdgeParts]]:
    """:func:`items_of` and :func:`derive_edges` (as tuples) of one event, in one pass; items by
    their :func:`item_key` when ``keyed`` (see the module docstring)."""
    direct = _members(event, "epcList", "quantityList", keyed)
    children = _members(event, "childEPCs", "childQuantityList", keyed)
    inputs = _members(event, "inputEPCList", "inputQuantityList", keyed)
    outputs = _members(event, "outputEPCList", "outputQuantityList", keyed)
    raw_parent = event.get("parentID")
    parent = raw_parent if isinstance(raw_parent, str) else None
    if parent is not None and keyed:
        parent = item_key(parent)
    items = direct | children | inputs | outputs
    if parent is not None:
        items.add(parent)
    edges: list[EdgeParts] = []
    etype = event.get("type")
    if etype in _AGGREGATING and event.get("action") in ("ADD", "OBSERVE"):
        if parent is not None:
            edges.extend([("contains", parent, c, c) for c in sorted(children)])
            direct.add(parent)
        direct |= children
    if etype == "TransformationEvent":
        outs = sorted(outputs)
        edges.extend([("transforms", i, o, o) for i in sorted(inputs) for o in outs])
        direct |= outputs
    ordered = sorted(direct)
    src = _party(event.get("sourceList"))
    dst = _party(event.get("destinationList"))
    if src and dst:
        edges.extend([("custody", src, dst, item) for item in ordered])
    where = _id(event.get("bizLocation")) or _id(event.get("readPoint"))
    if where:
        edges.extend([("observed", item, where, item) for item in ordered])
    return sorted(items), edges


def items_of(event: dict[str, Any], *, keyed: bool = False) -> list[str]:
    """Every item the event touches (EPCs, parent, inputs/outputs, lot classes), sorted."""
    return derive(event, keyed=keyed)[0]


def derive_edges(event: dict[str, Any], *, keyed: bool = False) -> list[Edge]:
    """The edges of one event, in a deterministic order."""
    return [Edge(*parts) for parts in derive(event, keyed=keyed)[1]]
