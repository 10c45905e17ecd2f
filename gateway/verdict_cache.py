"""The verdicts' in-memory cache: items (LRU) and lots, the envelopes accepted but not yet
committed, and the queries that load them (one per first-asked batch of items, through the
ledger's item index; lots by key). See :mod:`gateway.verdicts`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.decode import Accepted
from gateway.validation import parse_time
from traceability.verdicts.items import Item
from traceability.verdicts.state import (
    ItemState,
    LotState,
    apply_event,
    event_items,
    spellings,
)

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
  from unnest(%(f)b::varchar[]) as q(item)
  cross join lateral (select idx from ledger_item where item = q.item offset 0) li
  cross join lateral (
    select event_hash, body from event where ledger_index = li.idx offset 0) e)
select idx, event_hash, body, null::varchar, null::boolean, null::date from ev
union all
select null, l.gtin, null, l.lot, l.recalled, l.expires_on
from unnest(%(g)b::varchar[]) as g(gtin)
cross join lateral (select * from lot where lot.gtin = g.gtin offset 0) l
where l.lot = any(%(l)b::varchar[]) or l.lot in (
  select coalesce(body->'ilmd'->>'lotNumber', body->'ilmd'->>'cbvmda:lotNumber') from ev)
union all
select s.first_index, s.digest, null, '#seen', null, null
from envelope_seen s where s.device_id = %(d)s and s.seq = %(s)s
"""
PG_LOTS = """select gtin, lot, recalled, expires_on from lot
where gtin = any(%(g)b::varchar[]) and lot = any(%(l)b::varchar[])"""
LOAD_LOTS = sa.text(
    "select gtin, lot, recalled, expires_on from lot where gtin in :g and lot in :l"
).bindparams(sa.bindparam("g", expanding=True), sa.bindparam("l", expanding=True))


SEEN_AT = sa.text("select digest, first_index from envelope_seen where device_id = :d and seq = :s")


def _seen_args(acc: Accepted) -> dict[str, str]:
    return {"d": acc.envelope.device, "s": acc.envelope.seq}


class VerdictCache:
    """Cached item and lot state; :class:`gateway.verdicts.VerdictService` decides with it."""

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
        # item key -> number of in-flight envelopes applied to its cached state, and the keys
        # each in-flight envelope touched: a verdict on items at zero rests on committed events
        self.unsettled: dict[str, int] = {}
        self._touched: dict[int, set[str]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget cached state (in-flight envelopes are kept: they are still to be stored)."""
        with self._lock:
            self.items.clear()
            self.lots.clear()
            self.unsettled.clear()
            self._touched.clear()

    def _mark(self, acc_id: int, key: str) -> None:
        """Record that in-flight envelope ``acc_id`` was applied to the cached item ``key``."""
        keys = self._touched.setdefault(acc_id, set())
        if key not in keys:
            keys.add(key)
            self.unsettled[key] = self.unsettled.get(key, 0) + 1

    def _settle(self, acc_id: int) -> None:
        """Envelope ``acc_id`` is committed (or refused): its items no longer rest on it."""
        for key in self._touched.pop(acc_id, ()):
            left = self.unsettled.get(key, 0) - 1
            if left > 0:
                self.unsettled[key] = left
            else:
                self.unsettled.pop(key, None)

    def settled(self, keys: Iterable[str]) -> bool:
        """Whether the cached state of every item in ``keys`` rests on committed events only."""
        return not any(self.unsettled.get(k) for k in keys)

    def _lot_name(self, item: Item) -> str | None:
        st = self.items.get(item.key)
        return st.lot if st is not None and st.lot else None

    def _install(self, key: str, st: ItemState) -> None:
        self.items[key] = st
        self.items.move_to_end(key)
        while len(self.items) > self.max_items:
            self.items.popitem(last=False)

    def _load_items(
        self,
        missing: dict[str, tuple[Item, set[str]]],
        pending: Sequence[Accepted],
        *,
        asking: Accepted | None = None,
    ) -> tuple[dict[str, ItemState], list[tuple[int, str]]]:
        """The items' states from the store with ``pending`` replayed on top, and which
        (pending envelope, item) pairs were replayed (to be marked unsettled on install).

        When ``asking`` (the envelope the verdicts are for) is stored already — a redelivery,
        whether this process saw it the first time or not — the states are those just before it
        was recorded (records from its first index on left out, nothing replayed), so it gets
        the verdicts it got the first time."""
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
                    env = asking.envelope if asking is not None else None
                    args: dict[str, Any] = {"f": sorted(forms), "g": gtins, "l": scanned}
                    args |= {"d": env.device if env else "", "s": env.seq if env else ""}
                    cur.execute(PG_LOAD, args, prepare=True)
                    found = cur.fetchall()
                seen = [(r[1], r[0]) for r in found if r[3] == "#seen"]
                rows = sorted(
                    ((r[0], r[1], r[2]) for r in found if r[0] is not None and r[3] != "#seen"),
                    key=lambda r: int(r[0]),
                )
                lots = [(r[1], r[3], r[4], r[5]) for r in found if r[0] is None]
            else:
                rows = [tuple(r) for r in conn.execute(LOAD_ITEMS, {"f": sorted(forms)})]
                seen = (
                    [tuple(r) for r in conn.execute(SEEN_AT, _seen_args(asking))]
                    if asking is not None
                    else []
                )
        # the asking envelope's first ledger index if it is stored (-1: it added no event, all
        # were recorded before by other envelopes, so the state as it is now is what it met)
        at = next((int(i) for d, i in seen if asking is not None and d == asking.digest), None)
        before = at if at is not None and at >= 0 else None
        if before is not None:
            pending = []  # whatever is in flight came after it
        if self.pg:  # the scanned lots were looked up too (a missing row: an unknown lot)
            self._set_lots(
                lots,
                {(g, lot) for g, lot, _r, _e in lots}
                | {(item.gtin, item.lot) for item, _ in missing.values() if item.lot},
            )
        states = {key: ItemState() for key in missing}
        for idx, event_hash, body in rows:
            if before is not None and int(idx) >= before:
                continue
            doc = json.loads(body) if isinstance(body, str | bytes) else body
            if isinstance(doc, dict):
                when = parse_time(str(doc.get("eventTime", "")))
                for _raw, item in event_items(doc):
                    st = states.get(item.key)
                    if st is not None:
                        apply_event(st, item, doc, str(event_hash), when)
        replayed: list[tuple[int, str]] = []
        serials = {key.split("/", 1)[1] for key in states}
        for acc in pending:  # accepted before, not committed yet (or committed meanwhile)
            for ev in acc.events:
                for _raw, item in event_items(ev.body, serials=serials):
                    st = states.get(item.key)
                    if st is not None:
                        apply_event(st, item, ev.body, ev.event_hash, ev.event_time)
                        replayed.append((id(acc), item.key))
        return states, replayed

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
