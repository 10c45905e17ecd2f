"""The recall report: affected set, current holders, mass balance, consignees, timing.

The affected set is the forward trace of the recall's lots and items. Quantities come from the
events the trace used: a lot class's quantities produced (commissioning or transformation
outputs), packed into containers (aggregation child quantities), shipped (containers and
quantities on shipping events), sold or dispensed (quantities and items with disposition
``retail_sold`` / ``dispensed``); a serialised item counts 1. Each container (and serialised
item) is held where it was last seen; what was sold there is subtracted. Mass balance:
``accounted_pct`` = (on hand at known holders + sold/dispensed) / produced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.events.item_key import item_key
from traceability.recall.models import Recall
from traceability.recall.service import recall_public
from traceability.store.types import JSONType, UTCDateTime
from traceability.trace.model import NEG, POS, Reach, TraceResult
from traceability.trace.places import describe
from traceability.trace.resolve import lot_ids
from traceability.trace.walk import walk

DEFAULT_MAX_NODES = 50_000
ENDED = ("retail_sold", "dispensed")
_BODIES = (
    sa.text("select ledger_index, event_time, body from event where ledger_index in :ids")
    .bindparams(sa.bindparam("ids", expanding=True))
    .columns(
        sa.column("ledger_index"),
        sa.column("event_time", UTCDateTime()),
        sa.column("body", JSONType),
    )
)


def _short(v: Any) -> str:
    s = str(v or "")
    return s.rsplit(":", 1)[-1] if s.startswith("urn:epcglobal:cbv:") else s


def bodies(session: Session, indexes: Iterable[int]) -> list[tuple[int, datetime, dict[str, Any]]]:
    idx = sorted(set(indexes))
    out: list[tuple[int, datetime, dict[str, Any]]] = []
    conn = session.connection()
    for i in range(0, len(idx), 1000):
        out += [(int(a), b, c) for a, b, c in conn.execute(_BODIES, {"ids": idx[i : i + 1000]})]
    out.sort(key=lambda r: (r[1], r[0]))
    return out


def start_ids(session: Session, row: Recall) -> list[str]:
    ids: list[str] = []
    for lot in row.scope.get("lots") or []:
        ids += lot_ids(session, gtin=lot["gtin"], lot=lot["lot"])
    ids += list(row.scope.get("items") or [])
    return sorted(set(ids))


def affected_trace(session: Session, row: Recall, *, max_nodes: int) -> TraceResult:
    ids = start_ids(session, row)
    start = {i: Reach(NEG, POS, True) for i in ids}
    return walk(session, direction="forward", start=start, max_nodes=max_nodes)


def _qty(values: Any, scope: set[str]) -> float:
    total = 0.0
    for q in values or []:
        c = q.get("epcClass") if isinstance(q, dict) else None
        if isinstance(c, str) and item_key(c) in scope:
            v = q.get("quantity")
            total += float(v) if isinstance(v, (int, float)) else 1.0
    return total


def _count(epcs: Any, scope: set[str]) -> float:
    return float(sum(1 for e in epcs or [] if isinstance(e, str) and item_key(e) in scope))


def _place(b: dict[str, Any]) -> str | None:
    v = (b.get("bizLocation") or {}).get("id") or (b.get("readPoint") or {}).get("id")
    return v if isinstance(v, str) else None


def balance(
    res: TraceResult, events: list[tuple[int, datetime, dict[str, Any]]], scope: set[str]
) -> tuple[dict[str, float], dict[str, float], set[str]]:
    """(mass balance, on hand by place, receiving places and parties). Items are compared by
    their key (:func:`traceability.events.item_key.item_key`): the scope, the trace and the
    event bodies may write one item in different forms."""
    scope = {item_key(s) for s in scope}
    produced = shipped = ended = 0.0
    inside: dict[str, float] = defaultdict(float)
    last: dict[str, tuple[datetime, str]] = {}
    held_at: dict[str, float] = defaultdict(float)
    receivers: set[str] = set()
    origin: str | None = None
    touch: dict[str, set[int]] = defaultdict(set)
    sent: set[str] = set()
    for edge in res.edges.values():
        touch[item_key(edge.src)].add(edge.ledger_index)
        touch[item_key(edge.dst)].add(edge.ledger_index)
    for idx, when, b in events:
        step, disp, place = _short(b.get("bizStep")), _short(b.get("disposition")), _place(b)
        outs = _qty(b.get("outputQuantityList"), scope) + _count(b.get("outputEPCList"), scope)
        if step == "commissioning" and b.get("type") == "ObjectEvent":
            outs += _qty(b.get("quantityList"), scope) + _count(b.get("epcList"), scope)
        if outs:
            produced += outs
            origin = origin or place
        if b.get("type") == "AggregationEvent" and b.get("action") == "ADD":
            parent = b.get("parentID")
            if isinstance(parent, str):
                inside[item_key(parent)] += _qty(b.get("childQuantityList"), scope)
                inside[item_key(parent)] += _count(b.get("childEPCs"), scope)
        epcs = [item_key(e) for e in b.get("epcList") or [] if isinstance(e, str)]
        direct = _qty(b.get("quantityList"), scope) + _count(epcs, scope)
        if step == "shipping":
            shipped += _qty(b.get("quantityList"), scope)
            for e in epcs:
                if e not in sent and (e in inside or e in scope):
                    sent.add(e)
                    shipped += inside.get(e, 0.0) or 1.0
        if disp in ENDED:
            ended += direct
            if place:
                held_at[place] -= direct
        if step == "receiving":
            for lst in b.get("destinationList") or []:
                if isinstance(lst, dict) and isinstance(lst.get("destination"), str):
                    receivers.add(lst["destination"])
            if place:
                receivers.add(place)
        for e in epcs:
            if place and (e in inside or e in scope) and idx in touch.get(e, ()):
                last[e] = (when, place)
    boxed = 0.0
    for thing, (_, place) in last.items():
        q = inside.get(thing, 0.0) or (1.0 if thing in scope else 0.0)
        held_at[place] += q
        boxed += q
    if origin and produced - boxed - ended > 0:
        held_at[origin] += produced - boxed - ended
    on_hand = sum(max(0.0, v) for v in held_at.values())
    pct = round(100.0 * (on_hand + ended) / produced, 2) if produced else 0.0
    mass = {
        "produced": produced,
        "shipped": shipped,
        "on_hand": on_hand,
        "sold_or_dispensed": ended,
        "accounted_pct": pct,
    }
    return mass, {k: v for k, v in held_at.items() if v > 0}, receivers


def build_report(
    session: Session,
    *,
    row: Recall,
    max_nodes: int = DEFAULT_MAX_NODES,
    now: datetime | None = None,
) -> dict[str, Any]:
    res = affected_trace(session, row, max_nodes=max_nodes)
    scope = set(start_ids(session, row))
    events = bodies(session, res.ledger_indexes)
    mass, holders, receivers = balance(res, events, scope)
    named = describe(session, [*holders, *receivers])
    by_place = [
        {"place": p, "quantity": q, **{k: v for k, v in named.get(p, {}).items() if k != "kind"}}
        for p, q in sorted(holders.items())
    ]
    consignees: dict[str, dict[str, Any]] = {}
    for pid in sorted(receivers | set(holders)):
        party = (named.get(pid) or {}).get("party")
        key = party["id"] if party else pid
        consignees.setdefault(key, {"id": key, "via": pid, "party": party})
    generated = (now or datetime.now(UTC)).astimezone(UTC)
    items = [n for n, r in res.reached.items() if r.full]
    return {
        "recall": recall_public(row),
        "generated_at": generated.isoformat().replace("+00:00", "Z"),
        "request_to_report_s": round((generated - row.requested_at).total_seconds(), 3),
        "within_start_limit": None if row.start_by is None else generated <= row.start_by,
        "affected": {
            "items": sorted(items),
            "containers": sorted(n for n, r in res.reached.items() if not r.full),
            "holders": by_place,
        },
        "mass_balance": mass,
        "consignees": list(consignees.values()),
        "truncated": res.truncated,
        "ledger_indexes": res.ledger_indexes,
    }
