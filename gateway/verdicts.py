"""Verdicts for envelopes that ask for a reply (pharmacy dispensing and receiving checks).

Per item: ``ok``, ``unknown_serial`` (never commissioned), ``already_dispensed`` (dispensed or
destroyed before), ``recalled`` (Lot.recalled), ``expired`` (Lot.expires_on or the scanned
expiry (17) before the scan), ``lot_mismatch`` (scanned lot != commissioned lot), ``suspect``
(the same serial seen at another place within ``suspect_window``).

State is kept in memory, per item (commissioned, lot, dispensed/destroyed, last place and time
seen) and per lot (recalled, expiry). It is decided in arrival order, on the thread that passes
decoded messages on to the writer (:meth:`VerdictService.observe`). When every item state a
verdict rests on comes from committed events (no envelope still in flight touched those items:
:attr:`VerdictCache.unsettled`), it is published at once, before its own batch commits — the
device learns that its events are recorded from the PUBACK, after the commit, and a crash before
the commit means redelivery and a fresh verdict. Otherwise it is published right after the batch
commits, when the in-flight events it rests on (same or earlier batches) are committed too.
One consequence: an envelope that the store then refuses (a ``replayed_seq`` found only under the
lock, e.g. a seq reused after the device lost its counter) may already have had its verdicts;
they were true of the items, but its events are a dead letter, not a record.

Modules: :mod:`traceability.verdicts.state` (item and lot state, what an event says),
:mod:`gateway.verdict_cache` (the cache and its loading queries), :mod:`traceability.verdicts.rules`
(the judging rules); this one wires them to the pipeline.

* The items a reply envelope names are loaded every time: ONE query through the ledger's item
  index (``ledger_item`` (item, idx) -> ``event`` by ``ledger_index``), for every spelling of
  the item (the scanned one, its SGTIN URNs, its plain Digital Link) — so what another gateway
  on the shared subscription recorded counts — then the envelopes that were accepted here but
  are not committed yet (:attr:`VerdictService.inflight`) are replayed on top. Each event is
  applied once (by event hash), so an event both committed and still in flight counts once
  (the replay parses only EPCs whose serial is asked about). Bulk ingest costs the verdicts
  nothing but a place in the in-flight list.
* An envelope that the store refuses after all (a ``replayed_seq`` found under the lock) drops
  the items it named from the cache.
* Lots: loaded when first needed; kept fresh (``lot_ttl_s``) from the writer thread after
  commits, so a recall shows within about that time without a query on the verdict path.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import traceability.verdicts.rules as verdict_rules
from gateway.decode import Accepted
from gateway.reply import Reply
from gateway.store import BatchResult
from gateway.verdict_cache import LOAD_ITEMS, LOAD_LOTS, PG_LOAD, PG_LOTS, VerdictCache
from traceability.verdicts.items import Item
from traceability.verdicts.state import (
    INACTIVE_DISPS,
    INACTIVE_STEPS,
    ITEM_FIELDS,
    SGTIN,
    ItemState,
    LotState,
    apply_event,
    event_items,
    serial_hint,
    spellings,
    word,
)

__all__ = [
    "INACTIVE_DISPS",
    "INACTIVE_STEPS",
    "ITEM_FIELDS",
    "LOAD_ITEMS",
    "LOAD_LOTS",
    "PG_LOAD",
    "PG_LOTS",
    "SGTIN",
    "ItemState",
    "LotState",
    "Reply",
    "VerdictCache",
    "VerdictService",
    "apply_event",
    "event_items",
    "reply_topic",
    "serial_hint",
    "spellings",
    "word",
]

log = logging.getLogger(__name__)


class VerdictService(VerdictCache):
    def close(self) -> None:
        """Nothing to release (reads go through the gateway's engine); for symmetry."""

    # --- the pass-on thread, in arrival order -----------------------------------------------
    def observe(self, acc: Accepted) -> Reply | None:
        """Take an accepted envelope into account; its verdicts if it asks for a reply."""
        fresh = not acc.duplicate
        if acc.envelope.reply_to is None:
            if fresh:
                with self._lock:
                    self.inflight[id(acc)] = acc  # replayed onto the items a reply asks about
            return None
        named: list[list[tuple[str, Item]]] = [event_items(ev.body) for ev in acc.events]
        # the items asked about are read from the store every time (ONE query): another gateway
        # on the shared subscription may have recorded them since they were cached here; what
        # this one has in flight is replayed on top
        asked: dict[str, tuple[Item, set[str]]] = {}
        for pairs in named:
            for raw, item in pairs:
                asked.setdefault(item.key, (item, set()))[1].add(raw)
        with self._lock:
            pending = list(self.inflight.values()) if asked else []
        loaded, replayed = self._load_items(asked, pending, asking=acc) if asked else ({}, [])
        now = time.monotonic()
        with self._lock:
            for key, st in loaded.items():
                self._install(key, st)
            for acc_id, key in replayed:
                if acc_id in self.inflight:  # not committed meanwhile
                    self._mark(acc_id, key)
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
        settled = self.settled(item.key for pairs in named for _raw, item in pairs)
        for i, (ev, pairs) in enumerate(zip(acc.events, named, strict=True)):
            where = ev.read_point or ev.biz_location
            for raw, item in pairs:
                verdict, detail = self.judge(item, where=where, when=ev.event_time)
                counts[verdict] = counts.get(verdict, 0) + 1
                out.append({"event": i, "item": raw, "verdict": verdict, "detail": detail})
                st = self.items.get(item.key)
                if st is not None:  # later events of the envelope see earlier ones
                    apply_event(st, item, ev.body, ev.event_hash, ev.event_time)
                    if apply:  # in flight until committed (a duplicate is stored already)
                        self._mark(id(acc), item.key)
        env = acc.envelope
        doc = {
            "v": 1,
            "device": env.device,
            "seq": env.seq,
            "digest": acc.digest,
            "issued_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "verdicts": out,
        }
        return Reply(
            reply_topic(env.device, env.reply_to),
            json.dumps(doc, allow_nan=False).encode(),
            counts,
            settled,
        )

    def judge(self, item: Item, *, where: str | None, when: datetime) -> tuple[str, str]:
        return verdict_rules.judge(
            self.items, self.lots, item, where=where, when=when, window=self.window
        )

    # --- the writer thread, after a commit --------------------------------------------------
    def committed(self, accepted: Sequence[Accepted], result: BatchResult) -> None:
        """``accepted`` (a batch's accepted outcomes) are settled: drop them from the in-flight
        list; forget the items of any the store refused after all; refresh stale lots."""
        kept = {id(a) for a in result.stored} | {id(a) for a in result.duplicates}
        with self._lock:
            for acc in accepted:
                self.inflight.pop(id(acc), None)
                self._settle(id(acc))
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
