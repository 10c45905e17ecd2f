"""The trace walk over the store (SQLite and PostgreSQL/TimescaleDB alike).

Breadth-first: each round loads, for every item of the frontier not loaded before, its edges
(``trace_edge`` rows with ``item`` or ``src`` equal to it: two index look-ups, one query per
500 items) and the disaggregations of the containers it meets
(``ledger_item`` -> ``event`` rows with action DELETE). The rules are :mod:`.model`'s; the used
edges are computed at the end from the final windows, so the result equals the fixpoint that
:mod:`.naive` computes by brute force. A walk that reaches more than ``max_nodes`` items stops
with ``truncated`` set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.events.item_key import item_key
from traceability.store.types import JSONType, UTCDateTime
from traceability.trace.model import (
    DEFAULT_MAX_NODES,
    Direction,
    EdgeRec,
    Reach,
    TraceResult,
    Unpack,
    step,
    uses,
)

_BATCH = 500
_EDGE_COLS = "e.id, e.kind, e.src, e.dst, e.item, e.event_time, e.ledger_index"
# every edge of an item X has item = X or src = X (see migration 0007): two index look-ups
_EDGES = sa.text(
    f"select e.item as owner, {_EDGE_COLS} from trace_edge e where e.item in :items "
    f"union all select e.src as owner, {_EDGE_COLS} from trace_edge e where e.src in :items"
).bindparams(sa.bindparam("items", expanding=True))
_EDGES_T = _EDGES.columns(
    sa.column("owner"),
    sa.column("id"),
    sa.column("kind"),
    sa.column("src"),
    sa.column("dst"),
    sa.column("item"),
    sa.column("event_time", UTCDateTime()),
    sa.column("ledger_index"),
)
_UNPACKS = sa.text(
    "select li.item, ev.event_time, ev.ledger_index, ev.body "
    "from ledger_item li join event ev on ev.ledger_index = li.idx "
    "where li.item in :items and ev.event_type = 'AggregationEvent' and ev.action = 'DELETE'"
).bindparams(sa.bindparam("items", expanding=True))
_UNPACKS_T = _UNPACKS.columns(
    sa.column("owner"),
    sa.column("event_time", UTCDateTime()),
    sa.column("ledger_index"),
    sa.column("body", JSONType),
)


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _BATCH):
        yield list(items[i : i + _BATCH])


def _relevant(node: str, e: EdgeRec) -> bool:
    return e.src == node or e.dst == node or e.item == node


class StoreGraph:
    """Edges and disaggregations of items, loaded once per item (cached for the walk)."""

    def __init__(self, session: Session) -> None:
        self.conn = session.connection()
        self.edges: dict[str, list[EdgeRec]] = {}
        self.unpacks: dict[str, list[Unpack]] = {}

    def load_edges(self, nodes: Iterable[str]) -> None:
        todo = sorted({n for n in nodes if n not in self.edges})
        for n in todo:
            self.edges[n] = []
        for part in _chunks(todo):
            seen: set[tuple[str, int]] = set()
            rows = self.conn.execute(_EDGES_T, {"items": part})
            for owner, eid, kind, src, dst, item, etime, idx in rows:
                if (owner, eid) in seen:
                    continue
                seen.add((owner, eid))
                rec = EdgeRec(int(eid), kind, src, dst, item, etime, int(idx))
                if _relevant(owner, rec):
                    self.edges[owner].append(rec)

    def load_unpacks(self, parents: Iterable[str]) -> None:
        todo = sorted({p for p in parents if p not in self.unpacks})
        for p in todo:
            self.unpacks[p] = []
        for part in _chunks(todo):
            for owner, etime, idx, body in self.conn.execute(_UNPACKS_T, {"items": part}):
                parent = body.get("parentID")
                if not isinstance(parent, str) or owner not in (parent, item_key(parent)):
                    continue
                self.unpacks[owner].append(Unpack(owner, etime, _children(body), int(idx)))


def _children(body: dict[str, Any]) -> frozenset[str] | None:
    """The children a disaggregation names, each as sent and by its one key (records of
    version 1 name items as sent, version 2 by key: either is a node of the graph)."""
    kids: set[str] = set(x for x in body.get("childEPCs") or [] if isinstance(x, str))
    for q in body.get("childQuantityList") or []:
        if isinstance(q, dict) and isinstance(q.get("epcClass"), str):
            kids.add(q["epcClass"])
    return frozenset(kids | {item_key(k) for k in kids}) or None


def walk(
    session: Session,
    *,
    direction: Direction,
    start: dict[str, Reach],
    max_nodes: int = DEFAULT_MAX_NODES,
    graph: StoreGraph | None = None,
) -> TraceResult:
    """Trace from ``start`` (item -> initial window) to the fixpoint, or ``max_nodes`` items;
    ``graph`` shares loaded edges between walks over the same store state."""
    graph = graph or StoreGraph(session)
    res = TraceResult(direction=direction, start=sorted(start), max_nodes=max_nodes)
    reached: dict[str, Reach] = dict(start)
    frontier = set(start)
    while frontier:
        graph.load_edges(frontier)
        parents = {
            e.src
            for n in frontier
            for e in graph.edges[n]
            if e.kind == "contains" and e.dst == n and reached[n].holds(e.event_time)
        }
        graph.load_unpacks(parents)
        nxt: set[str] = set()
        for n in sorted(frontier):
            r = reached[n]
            for e in graph.edges[n]:
                got = step(direction, n, r, e, graph.unpacks.get(e.src, ()))
                if got is None:
                    continue
                to, win, _ = got
                old = reached.get(to)
                new = win if old is None else old.merge(win)
                if new != old:
                    if old is None and len(reached) >= max_nodes:
                        res.truncated = True
                        continue
                    reached[to] = new
                    nxt.add(to)
        frontier = nxt
    res.reached = reached
    graph.load_edges(reached)
    for n, r in reached.items():
        for e in graph.edges[n]:
            if uses(direction, n, r, e):
                res.edges[e.id] = e
                if e.kind == "contains" and e.dst == n:
                    graph.load_unpacks([e.src])
                    got = step(direction, n, r, e, graph.unpacks[e.src])
                    if got is not None and got[2] >= 0:
                        res.bounds.add(got[2])
    return res
