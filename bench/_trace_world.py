"""The seeded synthetic world of ``bench.trace``: supply chains with realistic fan-out.

Produce: farms -> packers (initial packing assigns the lot; pallets of 40 cases) -> distribution
centres -> stores (each pallet to its own store, retail sales there). Drugs: manufacturers
commission serialised packs of a lot (ILMD lot number) -> cases of 20 -> wholesalers ->
pharmacies (cases unpacked, packs dispensed). One large drug lot (``big_lot_items`` packs) is the
recall target. Events are a pure function of the seed; times advance chain by chain over
:data:`SPAN` so the event hypertable has many chunks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 6, 1, tzinfo=UTC)
SPAN = timedelta(days=120)
PACKS_PER_CASE = 20
CASES_PER_PALLET_QTY = 40


def cp(kind: int, n: int) -> str:
    """A 7-digit company prefix per (kind, number)."""
    return f"69{kind}{n:04d}"


def sgln(c: str) -> str:
    return f"urn:epc:id:sgln:{c}.00001.0"


def pgln(c: str) -> str:
    return f"urn:epc:id:pgln:{c}.00000"


def _t(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass
class Sizes:
    farms: int = 50
    packers: int = 10
    dcs: int = 5
    stores: int = 200
    makers: int = 5
    wholesalers: int = 10
    pharmacies: int = 300


@dataclass
class World:
    seed: int
    events: int
    big_lot_items: int
    sizes: Sizes = field(default_factory=Sizes)
    produce_lots: list[tuple[str, str]] = field(default_factory=list)  # (gtin, lot)
    drug_lots: list[tuple[str, str]] = field(default_factory=list)
    store_items: list[str] = field(default_factory=list)  # things to trace backward
    big_lot: tuple[str, str] = ("", "")


def _gtin(company: str, ref: str) -> str:
    body = "0" + company + ref
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def _ev(kind: str, t: datetime, where: str, **kw: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "type": kind,
        "eventTime": _t(t),
        "eventTimeZoneOffset": "+08:00",
        **kw,
        "bizLocation": {"id": where},
        "readPoint": {"id": where},
    }
    return ev


def _move(step: str, t: datetime, epcs: list[str], src: str, dst: str, at: str) -> dict[str, Any]:
    return _ev(
        "ObjectEvent",
        t,
        sgln(at),
        action="OBSERVE",
        epcList=epcs,
        bizStep=step,
        disposition="in_transit" if step == "shipping" else "in_progress",
        sourceList=[
            {"type": "owning_party", "source": pgln(src)},
            {"type": "location", "source": sgln(src)},
        ],
        destinationList=[
            {"type": "owning_party", "destination": pgln(dst)},
            {"type": "location", "destination": sgln(dst)},
        ],
    )


def _produce(w: World, rng: random.Random, n: int, t: datetime) -> list[dict[str, Any]]:
    s = w.sizes
    farm, packer = cp(1, rng.randrange(s.farms)), cp(2, rng.randrange(s.packers))
    dc = cp(3, rng.randrange(s.dcs))
    gtin = _gtin(packer, "10001")
    crate = f"{farm}.{'0' + '00001'}"
    lot = f"P{w.seed % 100:02d}{n:07d}"
    lgtin = f"urn:epc:class:lgtin:{packer}.010001.{lot}"
    crates = [f"urn:epc:id:sgtin:{crate}.{n}x{k}" for k in range(6)]
    out = [
        _ev("ObjectEvent", t, sgln(farm), action="ADD", epcList=crates, bizStep="commissioning"),
        _ev(
            "TransformationEvent",
            t + timedelta(hours=3),
            sgln(packer),
            inputEPCList=crates,
            outputQuantityList=[{"epcClass": lgtin, "quantity": 120, "uom": "CS"}],
            bizStep="commissioning",
            ilmd={"cbvmda:lotNumber": lot},
        ),
    ]
    pallets = [f"urn:epc:id:sscc:{packer}.{k}{n:09d}" for k in range(3)]
    for k, p in enumerate(pallets):
        out.append(
            _ev(
                "AggregationEvent",
                t + timedelta(hours=4, minutes=k),
                sgln(packer),
                action="ADD",
                parentID=p,
                childQuantityList=[{"epcClass": lgtin, "quantity": 40, "uom": "CS"}],
                bizStep="packing",
            )
        )
    out.append(_move("shipping", t + timedelta(hours=6), pallets, packer, dc, packer))
    out.append(_move("receiving", t + timedelta(hours=9), pallets, packer, dc, dc))
    for k, p in enumerate(pallets):
        store = cp(4, rng.randrange(s.stores))
        out.append(_move("shipping", t + timedelta(days=1, minutes=k), [p], dc, store, dc))
        out.append(
            _move("receiving", t + timedelta(days=1, hours=3, minutes=k), [p], dc, store, store)
        )
        out.append(
            _ev(
                "ObjectEvent",
                t + timedelta(days=1, hours=8, minutes=k),
                sgln(store),
                action="OBSERVE",
                quantityList=[{"epcClass": lgtin, "quantity": rng.randint(1, 9), "uom": "CS"}],
                bizStep="retail_selling",
                disposition="retail_sold",
            )
        )
        if k == 0:
            w.store_items.append(p)
    w.produce_lots.append((gtin, lot))
    return out


def _drug(w: World, rng: random.Random, n: int, t: datetime, packs: int) -> list[dict[str, Any]]:
    s = w.sizes
    maker, ws = cp(5, rng.randrange(s.makers)), cp(6, rng.randrange(s.wholesalers))
    gtin = _gtin(maker, "20001")
    lot = f"D{w.seed % 100:02d}{n:07d}"
    items = [f"urn:epc:id:sgtin:{maker}.020001.{n}p{k}" for k in range(packs)]
    out: list[dict[str, Any]] = []
    for k in range(0, packs, 100):
        out.append(
            _ev(
                "ObjectEvent",
                t + timedelta(seconds=k),
                sgln(maker),
                action="ADD",
                epcList=items[k : k + 100],
                bizStep="commissioning",
                ilmd={"cbvmda:lotNumber": lot, "cbvmda:itemExpirationDate": "2028-06-30"},
            )
        )
    cases = []
    for c in range(0, packs, PACKS_PER_CASE):
        case = f"urn:epc:id:sscc:{maker}.{n:07d}{c // PACKS_PER_CASE:03d}"
        cases.append(case)
        out.append(
            _ev(
                "AggregationEvent",
                t + timedelta(hours=1, seconds=c),
                sgln(maker),
                action="ADD",
                parentID=case,
                childEPCs=items[c : c + PACKS_PER_CASE],
                bizStep="packing",
            )
        )
    for k in range(0, len(cases), 50):
        part = cases[k : k + 50]
        out.append(_move("shipping", t + timedelta(hours=5, seconds=k), part, maker, ws, maker))
        out.append(_move("receiving", t + timedelta(hours=9, seconds=k), part, maker, ws, ws))
    for c, case in enumerate(cases):
        ph = cp(7, rng.randrange(s.pharmacies))
        at = t + timedelta(days=1, seconds=c)
        out.append(_move("shipping", at, [case], ws, ph, ws))
        out.append(_move("receiving", at + timedelta(hours=4), [case], ws, ph, ph))
        if c < 3:
            kids = items[c * PACKS_PER_CASE : (c + 1) * PACKS_PER_CASE]
            out.append(
                _ev(
                    "AggregationEvent",
                    at + timedelta(hours=6),
                    sgln(ph),
                    action="DELETE",
                    parentID=case,
                    childEPCs=kids,
                    bizStep="unpacking",
                )
            )
            out.append(
                _ev(
                    "ObjectEvent",
                    at + timedelta(hours=8),
                    sgln(ph),
                    action="OBSERVE",
                    epcList=[kids[0]],
                    bizStep="dispensing",
                    disposition="dispensed",
                )
            )
            w.store_items.append(kids[0])
    w.drug_lots.append((gtin, lot))
    return out


def generate(w: World) -> Iterator[dict[str, Any]]:
    """The world's events, about ``w.events`` of them (the big lot first)."""
    rng = random.Random(f"trace-bench:{w.seed}")
    big = _drug(w, rng, 0, T0, w.big_lot_items)
    w.big_lot = w.drug_lots.pop()
    yield from big
    made, n = len(big), 1
    # chains are ~16 (produce) and ~49 (drug) events; times spread over SPAN
    step = SPAN / max(1, w.events // 30)
    while made < w.events:
        t = T0 + step * n
        chain = _produce(w, rng, n, t) if n % 2 else _drug(w, rng, n, t, 200)
        yield from chain
        made += len(chain)
        n += 1
