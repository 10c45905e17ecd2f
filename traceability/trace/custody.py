"""Accountability: the custody timeline of an item or a lot, and its anomalies.

The timeline holds every event of the item (or of each id of the lot) and of the containers that
carried it while it was inside them (:mod:`.model`'s carrier windows). Each step names the event,
its place, the device that signed it and the device's party (name, USCC, credit status,
serious-violation flag), the source and destination parties, whether the device signature
verifies under the key valid when the platform recorded it, and its ledger index (with an RFC
9162 inclusion proof on request).

Anomalies (``code``):

- ``shipped_not_received``: a shipping with no receiving after it within ``threshold``;
- ``received_without_shipment``: a receiving with no shipping before it;
- ``overlapping_custody``: two receivings by different parties with no shipping between;
- ``clone``: one serial seen at two different places less than ``min_travel`` apart;
- ``lot_changed``: an event that must keep the traceability lot code names another one;
- ``after_decommissioning`` / ``after_dispensing``: events of an item after it ended.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.events.item_key import is_lot_class, item_key
from traceability.ledger import store as ledger_store
from traceability.signing.ed25519 import verify
from traceability.store.types import JSONType, UTCDateTime
from traceability.trace.model import NEG, POS, Reach, step
from traceability.trace.places import describe, device_parties
from traceability.trace.resolve import Resolved, resolve
from traceability.trace.walk import StoreGraph

DEFAULT_THRESHOLD = timedelta(hours=72)
DEFAULT_MIN_TRAVEL = timedelta(minutes=30)
KEEP_LOT_STEPS = frozenset(
    {"shipping", "receiving", "storing", "holding", "loading", "departing", "arriving", "cooling"}
)
END_DECOMMISSION = frozenset({"decommissioning", "destroying"})
END_DISPOSITIONS = {"dispensed": "after_dispensing", "destroyed": "after_decommissioning"}

_EVENTS = (
    sa.text(
        "select li.item, ev.ledger_index, ev.event_time, ev.device_id, ev.body, "
        "le.recorded_at, le.envelope, env.key_id, env.sig, env.body as env_body "
        "from ledger_item li join event ev on ev.ledger_index = li.idx "
        "join ledger_entry le on le.idx = li.idx "
        "left join ledger_envelope env on env.digest = le.envelope "
        "where li.item in :items"
    )
    .bindparams(sa.bindparam("items", expanding=True))
    .columns(
        sa.column("item"),
        sa.column("ledger_index"),
        sa.column("event_time", UTCDateTime()),
        sa.column("device_id"),
        sa.column("body", JSONType),
        sa.column("recorded_at", UTCDateTime()),
        sa.column("envelope"),
        sa.column("key_id"),
        sa.column("sig"),
        sa.column("env_body"),
    )
)
_KEYS = (
    sa.text(
        "select key_id, device_id, public_key, valid_from, valid_until, revoked_at "
        "from device_key where key_id in :ids"
    )
    .bindparams(sa.bindparam("ids", expanding=True))
    .columns(
        sa.column("key_id"),
        sa.column("device_id"),
        sa.column("public_key"),
        sa.column("valid_from", UTCDateTime()),
        sa.column("valid_until", UTCDateTime()),
        sa.column("revoked_at", UTCDateTime()),
    )
)


@dataclass(frozen=True, slots=True)
class Options:
    threshold: timedelta = DEFAULT_THRESHOLD
    min_travel: timedelta = DEFAULT_MIN_TRAVEL
    with_proof: bool = False
    max_steps: int = 2000  # a longer timeline is cut (truncated: true), newest steps dropped
    max_nodes: int = 5000
    now: datetime | None = None


def _short(v: Any) -> str | None:
    if not isinstance(v, str):
        return None
    return v.rsplit(":", 1)[-1] if v.startswith("urn:epcglobal:cbv:") else v


def carriers(session: Session, ids: list[str], max_nodes: int = 5000) -> dict[str, Reach]:
    """The ids (whole life) and every container that held one, with its holding window."""
    graph = StoreGraph(session)
    reached = {i: Reach(NEG, POS, True) for i in ids}
    frontier = set(ids)
    while frontier:
        graph.load_edges(frontier)
        graph.load_unpacks(
            e.src for n in frontier for e in graph.edges[n] if e.kind == "contains" and e.dst == n
        )
        nxt: set[str] = set()
        for n in frontier:
            for e in graph.edges[n]:
                if e.kind != "contains" or e.dst != n:
                    continue
                got = step("forward", n, reached[n], e, graph.unpacks.get(e.src, ()))
                if got is None:
                    continue
                old = reached.get(got[0])
                new = got[1] if old is None else old.merge(got[1])
                if new != old:
                    reached[got[0]] = new
                    nxt.add(got[0])
        frontier = nxt if len(reached) < max_nodes else set()
    return reached


def _party_of_list(entries: Any) -> str | None:
    if not isinstance(entries, list):
        return None
    for e in entries:
        if isinstance(e, dict) and str(e.get("type", "")).endswith("owning_party"):
            v = e.get("source", e.get("destination"))
            return v if isinstance(v, str) else None
    for e in entries:
        if isinstance(e, dict):
            v = e.get("source", e.get("destination"))
            if isinstance(v, str):
                return v
    return None


def _signature(row: Any, keys: dict[str, Any]) -> str:
    if row.envelope is None or row.sig is None:
        return "no_envelope"
    k = keys.get(row.key_id)
    if k is None or k.device_id != row.device_id:
        return "unknown_key"
    at = row.recorded_at
    if at < k.valid_from or (k.valid_until and at >= k.valid_until):
        return "key_not_valid"
    if k.revoked_at and at >= k.revoked_at:
        return "key_revoked"
    ok = verify(public_key=bytes(k.public_key), message=bytes(row.env_body), signature=row.sig)
    return "verified" if ok else "invalid"


def timeline(session: Session, *, text: str, options: Options | None = None) -> dict[str, Any]:
    """The custody timeline of an item or lot given in any identifier form."""
    opts = options or Options()
    found = resolve(session, text=text)
    return build(session, found=found, options=opts)


def build(session: Session, *, found: Resolved, options: Options) -> dict[str, Any]:
    held = carriers(session, found.ids, options.max_nodes)
    conn = session.connection()
    rows = []
    for part in _chunks(sorted(held)):
        rows += [
            r for r in conn.execute(_EVENTS, {"items": part}) if held[r.item].holds(r.event_time)
        ]
    by_index: dict[int, Any] = {}
    via: dict[int, set[str]] = {}
    for r in rows:
        by_index.setdefault(int(r.ledger_index), r)
        via.setdefault(int(r.ledger_index), set()).add(r.item)
    keys = {
        k.key_id: k
        for k in conn.execute(_KEYS, {"ids": sorted({r.key_id for r in rows if r.key_id})})
    }
    ordered = sorted(by_index.values(), key=lambda r: (r.event_time, r.ledger_index))
    truncated = len(ordered) > options.max_steps or len(held) >= options.max_nodes
    ordered = ordered[: options.max_steps]
    places: set[str] = set()
    for r in ordered:
        b = r.body
        for v in (
            (b.get("bizLocation") or {}).get("id"),
            (b.get("readPoint") or {}).get("id"),
            _party_of_list(b.get("sourceList")),
            _party_of_list(b.get("destinationList")),
        ):
            if isinstance(v, str):
                places.add(v)
    named = describe(session, places)
    devices = device_parties(session, {r.device_id for r in ordered if r.device_id})
    size = ledger_store.size(session)
    steps = []
    for r in ordered:
        b = r.body
        loc = (b.get("bizLocation") or {}).get("id") or (b.get("readPoint") or {}).get("id")
        src, dst = _party_of_list(b.get("sourceList")), _party_of_list(b.get("destinationList"))
        s: dict[str, Any] = {
            "ledger_index": int(r.ledger_index),
            "event_time": _iso(r.event_time),
            "recorded_at": _iso(r.recorded_at),
            "type": b.get("type"),
            "action": b.get("action"),
            "biz_step": _short(b.get("bizStep")),
            "disposition": _short(b.get("disposition")),
            "items": sorted(via[int(r.ledger_index)]),
            "via": "item" if via[int(r.ledger_index)] & set(found.ids) else "container",
            "location": {"id": loc, **named.get(loc, {})} if loc else None,
            "device": devices.get(r.device_id, {"device": r.device_id}),
            "source": {"id": src, **named.get(src, {})} if src else None,
            "destination": {"id": dst, **named.get(dst, {})} if dst else None,
            "signature": _signature(r, keys),
        }
        if options.with_proof:
            proof = ledger_store.inclusion_proof(session, index=int(r.ledger_index), size=size)
            s["proof"] = {
                "tree_size": size,
                "hashes": [base64.b64encode(h).decode() for h in proof],
            }
        steps.append(s)
    return {
        "id": found.input,
        "kind": found.kind,
        "ids": found.ids,
        "containers": sorted(set(held) - set(found.ids)),
        "steps": steps,
        "anomalies": anomalies(ordered, set(found.ids), options),
        "ledger_indexes": [s["ledger_index"] for s in steps],
        "truncated": truncated,
    }


def _chunks(items: list[str], n: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _lot_classes(values: Any) -> set[str]:
    """The lots (by item key, whichever form they were written in) of a quantity list."""
    out: set[str] = set()
    for q in values or []:
        c = q.get("epcClass") if isinstance(q, dict) else None
        if isinstance(c, str) and is_lot_class(c):
            out.add(item_key(c))
    return out


def anomalies(rows: list[Any], own: set[str], opts: Options) -> list[dict[str, Any]]:
    """The anomalies of a timeline's event rows (ordered by time)."""
    out: list[dict[str, Any]] = []
    now = opts.now or datetime.now(UTC)

    def flag(code: str, r: Any, message: str) -> None:
        out.append({"code": code, "ledger_index": int(r.ledger_index), "message": message})

    shipped: Any = None
    holder: Any = None  # the last receiving with no shipping after it
    for r in rows:
        stp = _short(r.body.get("bizStep"))
        if stp == "shipping":
            if shipped is not None:
                flag("shipped_not_received", shipped, "shipped again before it was received")
            shipped, holder = r, None
        elif stp == "receiving":
            dst = _party_of_list(r.body.get("destinationList"))
            if shipped is None:
                if holder is not None and _party_of_list(holder.body.get("destinationList")) != dst:
                    flag("overlapping_custody", r, "received while another party still holds it")
                else:
                    flag("received_without_shipment", r, "received with no shipping before it")
            elif r.event_time - shipped.event_time > opts.threshold:
                flag("shipped_not_received", shipped, f"received only after {opts.threshold}")
            shipped, holder = None, r
    if shipped is not None and now - shipped.event_time > opts.threshold:
        flag("shipped_not_received", shipped, f"not received within {opts.threshold}")
    _serial_anomalies(rows, own, opts, flag)
    return out


def _serial_anomalies(rows: list[Any], own: set[str], opts: Options, flag: Any) -> None:
    last_place: tuple[datetime, str] | None = None
    ended: str | None = None
    keys = {item_key(o) for o in own}  # one item, whichever form the ids and events use
    for r in rows:
        b = r.body
        written = [*(b.get("epcList") or []), *(b.get("childEPCs") or [])]
        written += b.get("inputEPCList") or []
        mine = bool(keys & {item_key(x) for x in written if isinstance(x, str)})
        stp, disp = _short(b.get("bizStep")), _short(b.get("disposition"))
        if ended is not None and mine:
            flag(ended, r, f"event after the item ended ({ended.split('_', 1)[1]})")
        if mine and (stp in END_DECOMMISSION or disp in END_DISPOSITIONS):
            ended = END_DISPOSITIONS.get(disp or "", "after_decommissioning")
        place = (b.get("bizLocation") or {}).get("id")
        if (
            mine
            and isinstance(place, str)
            and any(i.startswith(("urn:epc:id:", "https://id.gs1.org/")) for i in own)
        ):
            gln = place.rsplit(".", 1)[0]
            if (
                last_place is not None
                and last_place[1] != gln
                and r.event_time - last_place[0] < opts.min_travel
            ):
                flag("clone", r, f"seen at {gln} and {last_place[1]} too close in time")
            last_place = (r.event_time, gln)
        if stp in KEEP_LOT_STEPS and b.get("type") == "TransformationEvent":
            ins, outs = (
                _lot_classes(b.get("inputQuantityList")),
                _lot_classes(b.get("outputQuantityList")),
            )
            if ins and outs and ins != outs:
                flag("lot_changed", r, f"the lot code changed at a {stp} event")
        ilmd_lot = (b.get("ilmd") or {}).get("cbvmda:lotNumber")
        if ilmd_lot and stp in KEEP_LOT_STEPS:
            flag("lot_changed", r, f"a {stp} event assigns lot {ilmd_lot}")
