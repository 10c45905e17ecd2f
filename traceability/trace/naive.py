"""Reference trace: the same rules (:mod:`.model`) by brute force over every event in memory.

No indexes, no frontier, no caching: every round applies every rule to every edge of every
event until nothing changes. Slow and obviously faithful to the rules; the store walk
(:mod:`.walk`) is tested against it on random worlds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from traceability.events.edges import EDGE_ID_STRIDE, derive
from traceability.events.item_key import item_key
from traceability.trace.model import Direction, EdgeRec, Reach, TraceResult, Unpack, step, uses

Stored = tuple[int, datetime, dict[str, Any]]  # ledger index, event time, event body
# items by their one key, as records of version 2 (those the append writes) name them


def graph(events: Sequence[Stored]) -> tuple[list[EdgeRec], list[Unpack]]:
    """Every edge (ids as the store gives them) and every disaggregation of the events."""
    edges: list[EdgeRec] = []
    unpacks: list[Unpack] = []
    for idx, when, body in events:
        for j, (kind, src, dst, item) in enumerate(derive(body, keyed=True)[1]):
            edges.append(EdgeRec(idx * EDGE_ID_STRIDE + j, kind, src, dst, item, when, idx))
        if body.get("type") == "AggregationEvent" and body.get("action") == "DELETE":
            parent = body.get("parentID")
            if isinstance(parent, str):
                kids = {c for c in body.get("childEPCs") or [] if isinstance(c, str)}
                kids |= {
                    q["epcClass"]
                    for q in body.get("childQuantityList") or []
                    if isinstance(q, dict) and isinstance(q.get("epcClass"), str)
                }
                keyed = frozenset(item_key(k) for k in kids)
                unpacks.append(Unpack(item_key(parent), when, keyed or None, idx))
    return edges, unpacks


def trace(
    events: Sequence[Stored], *, direction: Direction, start: dict[str, Reach]
) -> TraceResult:
    edges, unpacks = graph(events)
    reached = dict(start)
    changed = True
    while changed:
        changed = False
        for e in edges:
            for node in (e.src, e.dst):
                r = reached.get(node)
                if r is None:
                    continue
                got = step(direction, node, r, e, [u for u in unpacks if u.parent == e.src])
                if got is None:
                    continue
                to, win, _ = got
                old = reached.get(to)
                new = win if old is None else old.merge(win)
                if new != old:
                    reached[to] = new
                    changed = True
    res = TraceResult(direction=direction, start=sorted(start), reached=reached)
    for e in edges:
        touched = {e.src, e.dst} | ({e.item} if e.item is not None else set())
        for node in touched:
            r = reached.get(node)
            if r is not None and uses(direction, node, r, e):
                res.edges[e.id] = e
                if e.kind == "contains" and e.dst == node:
                    got = step(direction, node, r, e, [u for u in unpacks if u.parent == e.src])
                    if got is not None and got[2] >= 0:
                        res.bounds.add(got[2])
    return res
