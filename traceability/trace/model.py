"""What a trace is: reach windows, the rules that extend them, and the result document.

A walk starts at some items and *reaches* further items, each with a time window ``[lo, hi]``
and a mode: ``full`` (the item itself: its contents and transformation outputs/inputs are
followed) or ``carrier`` (a container reached because it held a reached item: only its own
movements inside the window count, never its other contents). An edge of an item counts only
when its event time lies inside the item's window, so an edge is followed only after the item
reached that node (forward) or before it left it (backward).

Rules, for an edge at time ``t`` touching item ``X`` reached with ``[lo, hi]`` (``lo <= t <= hi``):

forward
  - ``transforms`` X -> O: O reached ``full`` with ``[t, +inf]``;
  - ``contains`` P -> X (X packed into P): P reached ``carrier`` with ``[t, min(hi, unpack)]``
    where ``unpack`` is the first disaggregation (AggregationEvent DELETE) of X from P at or
    after ``t`` (``+inf`` when none);
  - ``contains`` X -> C, X ``full``: C reached ``full`` with ``[t, +inf]``;
backward
  - ``transforms`` I -> X: I reached ``full`` with ``[-inf, t]``;
  - ``contains`` P -> X: P reached ``carrier`` with ``[t, min(hi, unpack)]``;
  - ``contains`` X -> C, X ``full``: C reached ``full`` with ``[-inf, t]``;
both
  - ``custody`` and ``observed`` edges of X (``item`` = X) are used (they name the parties and
    locations), never followed.

A node reached twice keeps the hull of its windows and ``full`` if either was; the walk runs to
the fixpoint, so its result does not depend on the order edges are met in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Direction = Literal["forward", "backward"]
NEG = datetime(1, 1, 1, tzinfo=UTC)
POS = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
DEFAULT_MAX_NODES = 5000


@dataclass(frozen=True, slots=True)
class EdgeRec:
    id: int
    kind: str
    src: str
    dst: str
    item: str | None
    event_time: datetime
    ledger_index: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "src": self.src,
            "dst": self.dst,
            "item": self.item,
            "event_time": _iso(self.event_time),
            "ledger_index": self.ledger_index,
        }


@dataclass(frozen=True, slots=True)
class Unpack:
    """A disaggregation of ``parent``: ``children`` None means all of them."""

    parent: str
    event_time: datetime
    children: frozenset[str] | None
    ledger_index: int


@dataclass(frozen=True, slots=True)
class Reach:
    lo: datetime
    hi: datetime
    full: bool

    def merge(self, other: Reach) -> Reach:
        return Reach(min(self.lo, other.lo), max(self.hi, other.hi), self.full or other.full)

    def holds(self, t: datetime) -> bool:
        return self.lo <= t <= self.hi


def unpack_time(unpacks: Iterable[Unpack], child: str, after: datetime) -> tuple[datetime, int]:
    """The first disaggregation of ``child`` at or after ``after`` (``POS``, -1 when none)."""
    best: tuple[datetime, int] = (POS, -1)
    for u in unpacks:
        if u.event_time >= after and (u.children is None or child in u.children):
            best = min(best, (u.event_time, u.ledger_index))
    return best


def step(
    direction: Direction, node: str, reach: Reach, edge: EdgeRec, unpacks: Iterable[Unpack]
) -> tuple[str, Reach, int] | None:
    """The node an edge of ``node`` leads to (with its window and the unpack index, -1 if
    none), or None when the edge is not followed."""
    t = edge.event_time
    if not reach.holds(t):
        return None
    if edge.kind == "transforms":
        if direction == "forward" and edge.src == node:
            return edge.dst, Reach(t, POS, True), -1
        if direction == "backward" and edge.dst == node:
            return edge.src, Reach(NEG, t, True), -1
        return None
    if edge.kind != "contains":
        return None
    if edge.dst == node:
        until, idx = unpack_time(unpacks, node, t)
        return edge.src, Reach(t, min(reach.hi, until), False), idx
    if edge.src == node and reach.full:
        if direction == "forward":
            return edge.dst, Reach(t, POS, True), -1
        return edge.dst, Reach(NEG, t, True), -1
    return None


def uses(direction: Direction, node: str, reach: Reach, edge: EdgeRec) -> bool:
    """Whether the edge is part of ``node``'s story inside its window."""
    if not reach.holds(edge.event_time):
        return False
    if edge.kind in ("custody", "observed"):
        return edge.item == node
    if edge.kind == "transforms":
        return edge.src == node if direction == "forward" else edge.dst == node
    if edge.kind == "contains":
        return edge.dst == node or (edge.src == node and reach.full)
    return False


@dataclass
class TraceResult:
    direction: Direction
    start: list[str]
    reached: dict[str, Reach] = field(default_factory=dict)
    edges: dict[int, EdgeRec] = field(default_factory=dict)
    bounds: set[int] = field(default_factory=set)  # ledger indexes of the unpacks used
    truncated: bool = False
    max_nodes: int = DEFAULT_MAX_NODES

    @property
    def ledger_indexes(self) -> list[int]:
        return sorted({e.ledger_index for e in self.edges.values()} | self.bounds)

    def to_dict(self) -> dict[str, Any]:
        edges = sorted(self.edges.values(), key=lambda e: (e.event_time, e.id))
        items = []
        for node, r in sorted(self.reached.items()):
            at = r.lo if self.direction == "forward" else r.hi
            items.append(
                {
                    "id": node,
                    "mode": "item" if r.full else "container",
                    "reached_at": None if at in (NEG, POS) else _iso(at),
                    "window": [_iso_or_none(r.lo), _iso_or_none(r.hi)],
                    "start": node in self.start,
                }
            )
        places: dict[str, dict[str, Any]] = {}
        for e in edges:
            if e.kind == "observed":
                _place(places, e.dst, "location", e)
            elif e.kind == "custody":
                _place(places, e.src, "party" if ":pgln:" in e.src else "location", e)
                _place(places, e.dst, "party" if ":pgln:" in e.dst else "location", e)
        return {
            "direction": self.direction,
            "start": list(self.start),
            "truncated": self.truncated,
            "max_nodes": self.max_nodes,
            "items": items,
            "places": sorted(places.values(), key=lambda p: (p["first_at"], p["id"])),
            "steps": [e.to_dict() for e in edges],
            "ledger_indexes": self.ledger_indexes,
        }


def _place(out: dict[str, dict[str, Any]], pid: str, kind: str, e: EdgeRec) -> None:
    at = _iso(e.event_time)
    p = out.setdefault(
        pid, {"id": pid, "kind": kind, "first_at": at, "last_at": at, "ledger_indexes": []}
    )
    p["first_at"], p["last_at"] = min(p["first_at"], at), max(p["last_at"], at)
    if e.ledger_index not in p["ledger_indexes"]:
        p["ledger_indexes"].append(e.ledger_index)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _iso_or_none(t: datetime) -> str | None:
    return None if t in (NEG, POS) else _iso(t)
