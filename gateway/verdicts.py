"""Verdicts for envelopes that ask for a reply (pharmacy dispensing and receiving checks).

Per item: ``ok``, ``unknown_serial`` (never commissioned), ``already_dispensed`` (dispensed or
destroyed before), ``recalled`` (Lot.recalled), ``expired`` (Lot.expires_on or the scanned
expiry (17) before the scan), ``lot_mismatch`` (scanned lot != commissioned lot), ``suspect``
(the same serial seen at another place within ``suspect_window``). State is kept in memory:
an item's history is loaded from the store the first time it is asked about (before the batch
commits, so the load never sees the batch), and then kept current from every stored event.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.decode import Accepted
from gateway.items import Item, parse_item
from gateway.store import BatchResult
from gateway.validation import parse_time

ITEM_FIELDS = ("epcList", "childEPCs", "outputEPCList")
INACTIVE_STEPS = frozenset({"dispensing", "destroying", "decommissioning"})
INACTIVE_DISPS = frozenset({"dispensed", "destroyed", "inactive"})


@dataclass(slots=True)
class ItemState:
    commissioned: bool = False
    lot: str | None = None
    inactive: bool = False
    where: str | None = None
    when: datetime | None = None


@dataclass(slots=True)
class LotState:
    recalled: bool
    expires_on: date | None
    loaded: float


def word(value: Any) -> str:
    """The bare CBV word of any of its spellings (URI, CURIE, URN, bare)."""
    if not isinstance(value, str):
        return ""
    for sep in ("BizStep-", "Disp-", ":bizstep:", ":disp:"):
        if sep in value:
            return value.rsplit(sep, 1)[1]
    return value.rsplit("/", 1)[-1]


def event_items(body: dict[str, Any]) -> list[tuple[str, Item]]:
    out: list[tuple[str, Item]] = []
    for name in ITEM_FIELDS:
        for raw in body.get(name) or ():
            if isinstance(raw, str):
                item = parse_item(raw)
                if item is not None:
                    out.append((raw, item))
    return out


def _lot_of(body: dict[str, Any], item: Item) -> str | None:
    ilmd = body.get("ilmd")
    if isinstance(ilmd, dict):
        for k in ("lotNumber", "cbvmda:lotNumber"):
            if isinstance(ilmd.get(k), str):
                return str(ilmd[k])
    return item.lot


class VerdictService:
    def __init__(self, engine: Engine, *, suspect_window: timedelta = timedelta(minutes=5),
                 lot_ttl_s: float = 2.0) -> None:
        self.engine = engine
        self.window = suspect_window
        self.lot_ttl = lot_ttl_s
        self.items: dict[str, ItemState] = {}
        self.lots: dict[tuple[str, str], LotState] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.items.clear()
            self.lots.clear()

    # --- before the batch commits -----------------------------------------------------------
    def prefetch(self, batch: list[Accepted]) -> None:
        wanted: dict[str, list[str]] = {}
        lots: set[tuple[str, str]] = set()
        for acc in batch:
            if acc.envelope.reply_to is None:
                continue
            for ev in acc.events:
                for raw, item in event_items(ev.body):
                    if item.key not in self.items:
                        wanted.setdefault(item.key, []).append(raw)
                    if item.lot:
                        lots.add((item.gtin, item.lot))
        now = time.monotonic()
        with self.engine.connect() as conn:
            for key, forms in wanted.items():
                self.items[key] = self._load_item(conn, key, forms)
            for key, st in self.items.items():
                if st.lot and key in wanted:
                    lots.add((key.split("/", 1)[0], st.lot))
            for gtin, lot in lots:
                cached = self.lots.get((gtin, lot))
                if cached is None or now - cached.loaded > self.lot_ttl:
                    row = conn.execute(sa.text(
                        "select recalled, expires_on from lot where gtin = :g and lot = :l"),
                        {"g": gtin, "l": lot}).first()
                    exp = row[1] if row else None
                    if isinstance(exp, str):
                        exp = date.fromisoformat(exp[:10])
                    self.lots[(gtin, lot)] = LotState(bool(row and row[0]), exp, now)

    def _load_item(self, conn: sa.Connection, key: str, forms: list[str]) -> ItemState:
        state = ItemState()
        rows = conn.execute(sa.text(
            "select e.body, e.event_time from event e where e.event_hash in "
            "(select t.event_hash from trace_edge t where t.src in :f or t.item in :f) "
            "order by e.ledger_index").bindparams(sa.bindparam("f", expanding=True)),
            {"f": sorted(set(forms))}).all()
        for body, _when in rows:
            doc = json.loads(body) if isinstance(body, str) else body
            self._apply_event(doc, only={key: state})
        return state

    # --- after the batch committed ----------------------------------------------------------
    def judge_and_apply(self, result: BatchResult) -> list[tuple[str, bytes, dict[str, int]]]:
        replies: list[tuple[str, bytes, dict[str, int]]] = []
        for acc in result.stored + result.duplicates:
            if acc.envelope.reply_to is not None:
                replies.append(self._reply(acc))
            if acc in result.stored:
                for ev in acc.events:
                    self._apply_event(ev.body, only=self.items)
        return replies

    def _reply(self, acc: Accepted) -> tuple[str, bytes, dict[str, int]]:
        out: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        for i, ev in enumerate(acc.events):
            where = ev.read_point or ev.biz_location
            for raw, item in event_items(ev.body):
                verdict, detail = self.judge(item, where=where, when=ev.event_time)
                counts[verdict] = counts.get(verdict, 0) + 1
                out.append({"event": i, "item": raw, "verdict": verdict, "detail": detail})
                self._apply_event(ev.body, only={item.key: self.items[item.key]}
                                  if item.key in self.items else {})
        env = acc.envelope
        doc = {"v": 1, "device": env.device, "seq": env.seq, "digest": acc.digest,
               "issued_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
               "verdicts": out}
        return reply_topic(env.device, env.reply_to), json.dumps(doc).encode(), counts

    def judge(self, item: Item, *, where: str | None, when: datetime) -> tuple[str, str]:
        st = self.items.get(item.key)
        if st is None or not st.commissioned:
            return "unknown_serial", f"{item.key} was never commissioned"
        if st.inactive:
            return "already_dispensed", f"{item.key} was already dispensed or destroyed"
        lot_name = st.lot or item.lot
        lot = self.lots.get((item.gtin, lot_name)) if lot_name else None
        if lot is not None and lot.recalled:
            return "recalled", f"lot {lot_name} is recalled"
        day = when.date()
        if (lot is not None and lot.expires_on and lot.expires_on < day) or \
                (item.expiry is not None and item.expiry < day):
            return "expired", f"expired before {day.isoformat()}"
        if item.lot and st.lot and item.lot != st.lot:
            return "lot_mismatch", f"scanned lot {item.lot} != commissioned lot {st.lot}"
        if where and st.where and st.when and where != st.where and \
                abs(when - st.when) < self.window:
            return "suspect", f"seen at {st.where} {abs(when - st.when).total_seconds():.0f}s ago"
        return "ok", ""

    def _apply_event(self, body: dict[str, Any], *, only: dict[str, ItemState]) -> None:
        if not only:
            return
        step, disp = word(body.get("bizStep")), word(body.get("disposition"))
        when = parse_time(str(body.get("eventTime", "")))
        where = _loc(body.get("readPoint")) or _loc(body.get("bizLocation"))
        for _raw, item in event_items(body):
            st = only.get(item.key)
            if st is None:
                continue
            if step == "commissioning":
                st.commissioned = True
                st.lot = _lot_of(body, item) or st.lot
                st.inactive = False
            if step in INACTIVE_STEPS or disp in INACTIVE_DISPS:
                st.inactive = True
            if where and when and (st.when is None or when >= st.when):
                st.where, st.when = where, when


def reply_topic(device: str, asked: str | None) -> str:
    """A device gets verdicts only under its own topics, whatever it asked for."""
    own = f"trace/v1/{device}/"
    return asked if asked and asked.startswith(own) else own + "verdicts"


def _loc(value: Any) -> str | None:
    return value["id"] if isinstance(value, dict) and isinstance(value.get("id"), str) else None
