"""Naive reference for :mod:`traceability.events.edges`: the original extraction and assembly,
written literally (one extraction per key, per function). The optimised module must agree with
it on every event (``test_edges.py``, hypothesis). The helpers the rewrite left as they were
(``_party``, ``_id``) are the module's own."""

from __future__ import annotations

from typing import Any

from traceability.events.edges import Edge, _id, _party


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _classes(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [
        q["epcClass"] for q in value if isinstance(q, dict) and isinstance(q.get("epcClass"), str)
    ]


def items_of(event: dict[str, Any]) -> list[str]:
    """Every item the event touches (EPCs, parent, inputs/outputs, lot classes), sorted."""
    found: set[str] = set()
    for key in ("epcList", "childEPCs", "inputEPCList", "outputEPCList"):
        found.update(_strings(event.get(key)))
    for key in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"):
        found.update(_classes(event.get(key)))
    parent = event.get("parentID")
    if isinstance(parent, str):
        found.add(parent)
    return sorted(found)


def derive_edges(event: dict[str, Any]) -> list[Edge]:
    """The edges of one event, in a deterministic order."""
    edges: list[Edge] = []
    etype = event.get("type")
    action = event.get("action")
    direct = sorted(set(_strings(event.get("epcList")) + _classes(event.get("quantityList"))))
    if etype in ("AggregationEvent", "AssociationEvent") and action in ("ADD", "OBSERVE"):
        parent = event.get("parentID")
        children = sorted(
            set(_strings(event.get("childEPCs")) + _classes(event.get("childQuantityList")))
        )
        if isinstance(parent, str):
            edges.extend(Edge("contains", parent, c, c) for c in children)
        direct = sorted({*direct, *children, *([parent] if isinstance(parent, str) else [])})
    if etype == "TransformationEvent":
        inputs = sorted(
            set(_strings(event.get("inputEPCList")) + _classes(event.get("inputQuantityList")))
        )
        outputs = sorted(
            set(_strings(event.get("outputEPCList")) + _classes(event.get("outputQuantityList")))
        )
        edges.extend(Edge("transforms", i, o, o) for i in inputs for o in outputs)
        direct = sorted({*direct, *outputs})
    src = _party(event.get("sourceList"))
    dst = _party(event.get("destinationList"))
    if src and dst:
        edges.extend(Edge("custody", src, dst, item) for item in direct)
    where = _id(event.get("bizLocation")) or _id(event.get("readPoint"))
    if where:
        edges.extend(Edge("observed", item, where, item) for item in direct)
    return edges
