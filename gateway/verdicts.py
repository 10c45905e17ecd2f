"""Verdicts for envelopes that ask for a reply (pharmacy dispensing and receiving checks).

Per item: ``ok``, ``unknown_serial`` (never commissioned), ``already_dispensed`` (dispensed or
destroyed before), ``recalled`` (Lot.recalled), ``expired`` (Lot.expires_on or the scanned
expiry (17) before the scan), ``lot_mismatch`` (scanned lot != commissioned lot), ``suspect``
(the same serial seen at another place within ``suspect_window``).

State is kept in memory, per item (commissioned, lot, dispensed/destroyed, last place and time
seen) and per lot (recalled, expiry). It is decided in arrival order, on the thread that passes
decoded messages on to the writer (:meth:`VerdictService.observe`), so a verdict is ready when
its envelope reaches the writer and is published right after that batch commits (never before:
it may rest on events of the same or earlier batches, which are committed by then).

* An item is loaded the first time a reply envelope names it: ONE query through the ledger's
  item index (``ledger_item`` (item, idx) -> ``event`` by ``ledger_index``), for every spelling
  of the item (the scanned one, its SGTIN URNs, its plain Digital Link), then the envelopes that
  were accepted but are not committed yet (:attr:`VerdictService.inflight`) are replayed on top.
  Each event is applied once (by event hash), so an event both committed and still in flight
  counts once.
* Every accepted envelope then updates the cached items it names (a cheap serial pre-check
  keeps bulk ingest from parsing every EPC).
* An envelope that the store refuses after all (a ``replayed_seq`` found under the lock) drops
  the items it named from the cache; they are loaded again when next asked about.
* Lots: loaded when first needed; kept fresh (``lot_ttl_s``) from the writer thread after
  commits, so a recall shows within about that time without a query on the verdict path.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.decode import Accepted
from gateway.items import Item, parse_item
from gateway.store import BatchResult
from gateway.validation import parse_time

log = logging.getLogger(__name__)

Reply = tuple[str, bytes, dict[str, int]]  # topic, payload, count per verdict
ITEM_FIELDS = ("epcList", "childEPCs", "outputEPCList")
INACTIVE_STEPS = frozenset({"dispensing", "destroying", "decommissioning"})
INACTIVE_DISPS = frozenset({"dispensed", "destroyed", "inactive"})
SGTIN = "urn:epc:id:sgtin:"
# every event touching any spelling of the items, in log order (ledger_item's key is
# (item, idx); event.ledger_index is indexed)
LOAD_ITEMS = sa.text(
    "select li.idx, e.event_hash, e.body from ledger_item li "
    "join event e on e.ledger_index = li.idx where li.item in :f order by li.idx"
).bindparams(sa.bindparam("f", expanding=True))
# PostgreSQL: the same in ONE prepared statement (planning a hypertable join costs ~1.4 ms, more
# than running it), with the lots the events name (ilmd) or the scan names; the laterals (``offset
# 0`` keeps them from being flattened) make every plan, generic or not, look items and lots up
# by key (a fresh ledger_item without statistics was otherwise seq-scanned in a hash join)
PG_LOAD = """
with ev as materialized (
  select li.idx, e.event_hash, e.body
  from unnest(%(f)s::varchar[]) as q(item)
  cross join lateral (select idx from ledger_item where item = q.item offset 0) li
  cross join lateral (
    select event_hash, body from event where ledger_index = li.idx offset 0) e)
select idx, event_hash, body, null::varchar, null::boolean, null::date from ev
union all
select null, l.gtin, null, l.lot, l.recalled, l.expires_on
from unnest(%(g)s::varchar[]) as g(gtin)
cross join lateral (select * from lot where lot.gtin = g.gtin offset 0) l
where l.lot = any(%(l)s::varchar[]) or l.lot in (
  select coalesce(body->'ilmd'->>'lotNumber', body->'ilmd'->>'cbvmda:lotNumber') from ev)
"""
PG_LOTS = """select gtin, lot, recalled, expires_on from lot
where gtin = any(%(g)s::varchar[]) and lot = any(%(l)s::varchar[])"""
LOAD_LOTS = sa.text(
    "select gtin, lot, recalled, expires_on from lot where gtin in :g and lot in :l"
).bindparams(sa.bindparam("g", expanding=True), sa.bindparam("l", expanding=True))


@dataclass(slots=True)
class ItemState:
    commissioned: bool = False
    lot: str | None = None
    inactive: bool = False
    where: str | None = None
    when: datetime | None = None
    applied: set[str] = field(default_factory=set)  # event hashes already taken into account


@dataclass(slots=True)
class LotState:
    recalled: bool
    expires_on: date | None
    loaded: float
    used: float = 0.0


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
        raws = body.get(name)
        if not isinstance(raws, list):
            continue
        for raw in raws:
            if isinstance(raw, str):
                item = parse_item(raw)
                if item is not None:
                    out.append((raw, item))
    return out


def serial_hint(raw: str) -> str | None:
    """The serial of an SGTIN URN without parsing it (None: parse to know)."""
    if raw.startswith(SGTIN):
        s = raw[len(SGTIN) :].split(".", 2)[-1]
        return unquote(s) if "%" in s else s
    return None


def spellings(item: Item, raws: Iterable[str]) -> set[str]:
    """The strings an event may have named ``item`` by: as scanned, its SGTIN URN for every
    company prefix length, its plain Digital Link."""
    out = set(raws)
    if item.urn:
        out.add(item.urn)
    if len(item.gtin) == 14 and item.gtin.isdigit():
        ind, rest = item.gtin[0], item.gtin[1:13]
        for serial in {item.serial, quote(item.serial, safe="!'()*+,-.:;=_")}:
            for cpl in range(6, 13):
                out.add(f"{SGTIN}{rest[:cpl]}.{ind}{rest[cpl:]}.{serial}")
        out.add(f"https://id.gs1.org/01/{item.gtin}/21/{quote(item.serial, safe='')}")
    return {s for s in out if len(s) <= 200}


def _lot_of(body: dict[str, Any], item: Item) -> str | None:
    ilmd = body.get("ilmd")
    if isinstance(ilmd, dict):
        for k in ("lotNumber", "cbvmda:lotNumber"):
            if isinstance(ilmd.get(k), str):
                return str(ilmd[k])
    return item.lot


def _loc(value: Any) -> str | None:
    return value["id"] if isinstance(value, dict) and isinstance(value.get("id"), str) else None


def apply_event(
    st: ItemState, item: Item, body: dict[str, Any], event_hash: str, when: datetime | None
) -> None:
    """What one event says about one item (once per event)."""
    if event_hash in st.applied:
        return
    st.applied.add(event_hash)
    step, disp = word(body.get("bizStep")), word(body.get("disposition"))
    if step == "commissioning":
        st.commissioned = True
        st.lot = _lot_of(body, item) or st.lot
        st.inactive = False
    if step in INACTIVE_STEPS or disp in INACTIVE_DISPS:
        st.inactive = True
    where = _loc(body.get("readPoint")) or _loc(body.get("bizLocation"))
    if where and when and (st.when is None or when >= st.when):
        st.where, st.when = where, when


class VerdictService:
    def __init__(
        self,
        engine: Engine,
        *,
        suspect_window: timedelta = timedelta(minutes=5),
        lot_ttl_s: float = 2.0,
        max_items: int = 200_000,
    ) -> None:
        self.engine = engine
        # reads only: no BEGIN / ROLLBACK round trips around each query
        self.pg = engine.dialect.name == "postgresql"
        self.reader: Engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.window = suspect_window
        self.lot_ttl = lot_ttl_s
        self.max_items = max_items
        self.items: OrderedDict[str, ItemState] = OrderedDict()  # LRU
        self.lots: dict[tuple[str, str], LotState] = {}
        self.inflight: OrderedDict[int, Accepted] = OrderedDict()  # accepted, not committed
        self._serials: set[str] = set()  # serials of cached items (a superset)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Nothing to release (reads go through the gateway's engine); for symmetry."""

    def reset(self) -> None:
        """Forget cached state (in-flight envelopes are kept: they are still to be stored)."""
        with self._lock:
            self.items.clear()
            self.lots.clear()
            self._serials.clear()

    # --- the pass-on thread, in arrival order -----------------------------------------------
    def observe(self, acc: Accepted) -> Reply | None:
        """Take an accepted envelope into account; its verdicts if it asks for a reply."""
        fresh = not acc.duplicate
        if acc.envelope.reply_to is None:
            if fresh:
                with self._lock:
                    self.inflight[id(acc)] = acc
                    self._apply_cached(acc)
            return None
        named: list[list[tuple[str, Item]]] = [event_items(ev.body) for ev in acc.events]
        with self._lock:
            missing: dict[str, tuple[Item, set[str]]] = {}
            for pairs in named:
                for raw, item in pairs:
                    if item.key not in self.items:
                        missing.setdefault(item.key, (item, set()))[1].add(raw)
            pending = list(self.inflight.values()) if missing else []
        loaded = self._load_items(missing, pending) if missing else {}
        now = time.monotonic()
        with self._lock:
            for key, st in loaded.items():
                self._install(key, st)
            wanted = {
                (item.gtin, lot)
                for pairs in named
                for _raw, item in pairs
                for lot in (item.lot, self._lot_name(item))
                if lot
            }
            stale = [
                k for k in wanted if k not in self.lots or now - self.lots[k].loaded > self.lot_ttl
            ]
        if stale:
            self._load_lots(stale)
        with self._lock:
            if fresh:
                self.inflight[id(acc)] = acc
            return self._reply(acc, named, apply=fresh)

    def _reply(self, acc: Accepted, named: list[list[tuple[str, Item]]], *, apply: bool) -> Reply:
        out: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        for i, (ev, pairs) in enumerate(zip(acc.events, named, strict=True)):
            where = ev.read_point or ev.biz_location
            for raw, item in pairs:
                verdict, detail = self.judge(item, where=where, when=ev.event_time)
                counts[verdict] = counts.get(verdict, 0) + 1
                out.append({"event": i, "item": raw, "verdict": verdict, "detail": detail})
                st = self.items.get(item.key)
                if apply and st is not None:
                    apply_event(st, item, ev.body, ev.event_hash, ev.event_time)
        env = acc.envelope
        doc = {
            "v": 1,
            "device": env.device,
            "seq": env.seq,
            "digest": acc.digest,
            "issued_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "verdicts": out,
        }
        return reply_topic(env.device, env.reply_to), json.dumps(doc).encode(), counts

    def judge(self, item: Item, *, where: str | None, when: datetime) -> tuple[str, str]:
        st = self.items.get(item.key)
        if st is None or not st.commissioned:
            return "unknown_serial", f"{item.key} was never commissioned"
        if st.inactive:
            return "already_dispensed", f"{item.key} was already dispensed or destroyed"
        lot_name = st.lot or item.lot
        lot = self.lots.get((item.gtin, lot_name)) if lot_name else None
        if lot is not None:
            lot.used = time.monotonic()
        if lot is not None and lot.recalled:
            return "recalled", f"lot {lot_name} is recalled"
        day = when.date()
        if (lot is not None and lot.expires_on and lot.expires_on < day) or (
            item.expiry is not None and item.expiry < day
        ):
            return "expired", f"expired before {day.isoformat()}"
        if item.lot and st.lot and item.lot != st.lot:
            return "lot_mismatch", f"scanned lot {item.lot} != commissioned lot {st.lot}"
        if (
            where
            and st.where
            and st.when
            and where != st.where
            and abs(when - st.when) < self.window
        ):
            return "suspect", f"seen at {st.where} {abs(when - st.when).total_seconds():.0f}s ago"
        return "ok", ""

    def _lot_name(self, item: Item) -> str | None:
        st = self.items.get(item.key)
        return st.lot if st is not None and st.lot else None

    def _apply_cached(self, acc: Accepted) -> None:
        if not self.items:
            return
        serials = self._serials
        for ev in acc.events:
            body = ev.body
            for name in ITEM_FIELDS:
                raws = body.get(name)
                if not isinstance(raws, list):
                    continue
                for raw in raws:
                    if not isinstance(raw, str):
                        continue
                    hint = serial_hint(raw)
                    if hint is not None and hint not in serials:
                        continue
                    item = parse_item(raw)
                    st = self.items.get(item.key) if item is not None else None
                    if st is not None and item is not None:
                        apply_event(st, item, body, ev.event_hash, ev.event_time)

    def _install(self, key: str, st: ItemState) -> None:
        self.items[key] = st
        self.items.move_to_end(key)
        self._serials.add(key.split("/", 1)[1])
        while len(self.items) > self.max_items:
            self.items.popitem(last=False)

    def _load_items(
        self, missing: dict[str, tuple[Item, set[str]]], pending: Sequence[Accepted]
    ) -> dict[str, ItemState]:
        forms: set[str] = set()
        for item, raws in missing.values():
            forms |= spellings(item, raws)
        gtins = sorted({item.gtin for item, _ in missing.values()})
        scanned = sorted({item.lot for item, _ in missing.values() if item.lot})
        lots: list[tuple[str, str, bool, date | None]] = []
        with self.reader.connect() as conn:
            if self.pg:
                raw: Any = conn.connection.dbapi_connection
                with raw.cursor() as cur:
                    cur.execute(
                        PG_LOAD, {"f": sorted(forms), "g": gtins, "l": scanned}, prepare=True
                    )
                    found = cur.fetchall()
                rows = sorted(
                    ((r[0], r[1], r[2]) for r in found if r[0] is not None), key=lambda r: int(r[0])
                )
                lots = [(r[1], r[3], r[4], r[5]) for r in found if r[0] is None]
            else:
                rows = [tuple(r) for r in conn.execute(LOAD_ITEMS, {"f": sorted(forms)})]
        if self.pg:  # the scanned lots were looked up too (a missing row: an unknown lot)
            self._set_lots(
                lots,
                {(g, lot) for g, lot, _r, _e in lots}
                | {(item.gtin, item.lot) for item, _ in missing.values() if item.lot},
            )
        states = {key: ItemState() for key in missing}
        for _idx, event_hash, body in rows:
            doc = json.loads(body) if isinstance(body, str | bytes) else body
            if isinstance(doc, dict):
                when = parse_time(str(doc.get("eventTime", "")))
                for _raw, item in event_items(doc):
                    st = states.get(item.key)
                    if st is not None:
                        apply_event(st, item, doc, str(event_hash), when)
        for acc in pending:  # accepted before, not committed yet (or committed meanwhile)
            for ev in acc.events:
                for _raw, item in event_items(ev.body):
                    st = states.get(item.key)
                    if st is not None:
                        apply_event(st, item, ev.body, ev.event_hash, ev.event_time)
        return states

    def _load_lots(self, keys: Iterable[tuple[str, str]]) -> None:
        keys = sorted(set(keys))
        if not keys:
            return
        params = {"g": sorted({g for g, _ in keys}), "l": sorted({lot for _, lot in keys})}
        with self.reader.connect() as conn:
            if self.pg:
                raw: Any = conn.connection.dbapi_connection
                with raw.cursor() as cur:
                    cur.execute(PG_LOTS, params, prepare=True)
                    rows = [tuple(r) for r in cur.fetchall()]
            else:
                rows = [tuple(r) for r in conn.execute(LOAD_LOTS, params)]
        self._set_lots(rows, keys)

    def _set_lots(self, rows: Sequence[Sequence[Any]], keys: Iterable[tuple[str, str]]) -> None:
        """Lot states from (gtin, lot, recalled, expires_on) rows; ``keys`` without a row are
        lots the registry does not know (neither recalled nor with an expiry)."""
        now = time.monotonic()
        found: dict[tuple[str, str], tuple[bool, date | None]] = {}
        for gtin, lot, recalled, exp in rows:
            if isinstance(exp, str):
                exp = date.fromisoformat(exp[:10])
            found[(str(gtin), str(lot))] = (bool(recalled), exp)
        with self._lock:
            for k in keys:
                recalled, exp = found.get(k, (False, None))
                old = self.lots.get(k)
                self.lots[k] = LotState(recalled, exp, now, old.used if old else now)

    # --- the writer thread, after a commit --------------------------------------------------
    def committed(self, accepted: Sequence[Accepted], result: BatchResult) -> None:
        """``accepted`` (a batch's accepted outcomes) are settled: drop them from the in-flight
        list; forget the items of any the store refused after all; refresh stale lots."""
        kept = {id(a) for a in result.stored} | {id(a) for a in result.duplicates}
        with self._lock:
            for acc in accepted:
                self.inflight.pop(id(acc), None)
                if id(acc) not in kept:
                    for ev in acc.events:
                        for _raw, item in event_items(ev.body):
                            self.items.pop(item.key, None)
            now = time.monotonic()
            stale = [
                k
                for k, lot in self.lots.items()
                if now - lot.loaded > self.lot_ttl and now - lot.used < 60.0
            ]
            for k in [k for k, lot in self.lots.items() if now - lot.used >= 60.0]:
                del self.lots[k]
        if stale:
            self._load_lots(stale)


def reply_topic(device: str, asked: str | None) -> str:
    """A device gets verdicts only under its own topics, whatever it asked for."""
    own = f"trace/v1/{device}/"
    return asked if asked and asked.startswith(own) else own + "verdicts"
