"""FDA FSMA 204 electronic sortable spreadsheet for a lot (and/or a date range).

One sheet per Critical Tracking Event as in FDA's template -- Harvesting, Cooling, Initial
Packing, First Land-Based Receiving, Shipping, Receiving, Transformation -- with FDA's column
names: a location is 7 columns (Business Name, Phone Number, Street Address or Geographic
Coordinates, City, State or Region, ZIP or Postal Code, Country), a product description 6
(Product Name, Brand Name, Commodity, Variety, Packaging Size, Packaging Style), dates
mm/dd/yyyy. Written as one CSV per sheet and one XLSX workbook.

The events are those of the lot's backward trace (harvest, cooling, packing) and forward trace
(shipping, receiving, transformations), mapped to CTEs by bizStep and shape:

- ``commissioning`` ObjectEvent of raw items -> Harvesting;
- ``storing``/``cooling`` with temperature readings before packing -> Cooling;
- TransformationEvent that assigns the lot (inputs without a lot) -> Initial Packing;
  with lot inputs -> Transformation;
- ``receiving`` from a vessel (``suyuan:landing``) -> First Land-Based Receiving;
- ``shipping`` -> Shipping; ``receiving`` -> Receiving.

Quantities of shipped containers are their contents of the lot (aggregation child quantities).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from traceability.errors import InvalidInputError, NotFoundError
from traceability.events.item_key import is_lot_class, item_elements, item_key
from traceability.exports.xlsx import write_xlsx
from traceability.recall.report import bodies
from traceability.registry.models import Product
from traceability.trace.model import NEG, POS, Reach
from traceability.trace.places import describe
from traceability.trace.resolve import lot_ids
from traceability.trace.walk import StoreGraph, walk

LOCATION = (
    "Business Name",
    "Phone Number",
    "Street Address or Geographic Coordinates",
    "City",
    "State or Region",
    "ZIP or Postal Code",
    "Country",
)
PRODUCT = (
    "Product Name",
    "Brand Name",
    "Commodity",
    "Variety",
    "Packaging Size",
    "Packaging Style",
)
REFERENCE = ("Reference Document Type", "Reference Document Number")


def _loc(prefix: str) -> list[str]:
    return [f"{prefix} - {c}" for c in LOCATION]


def _prod(prefix: str = "Product Description") -> list[str]:
    return [f"{prefix} - {c}" for c in PRODUCT]


SHEETS: dict[str, list[str]] = {
    "Harvesting": [
        "Commodity",
        "Variety",
        "Quantity",
        "Unit of Measure",
        *_loc("Harvest Location"),
        "Field or Container Name",
        "Harvest Date",
        *_loc("Immediate Subsequent Recipient"),
        *REFERENCE,
    ],
    "Cooling": [
        "Commodity",
        "Variety",
        "Quantity",
        "Unit of Measure",
        *_loc("Cooling Location"),
        "Cooling Date",
        *_loc("Harvest Location"),
        *_loc("Immediate Subsequent Recipient"),
        *REFERENCE,
    ],
    "Initial Packing": [
        "Traceability Lot Code",
        *_prod(),
        "Quantity",
        "Unit of Measure",
        "Commodity Received",
        "Quantity Received",
        "Unit of Measure Received",
        *_loc("Harvest Location"),
        *_loc("Cooling Location"),
        *_loc("Traceability Lot Code Source"),
        "Packing Date",
        *REFERENCE,
    ],
    "First Land-Based Receiving": [
        "Traceability Lot Code",
        *_prod(),
        "Quantity",
        "Unit of Measure",
        "Harvest Vessel Name",
        "Date of Landing",
        *_loc("Receiving Location"),
        *_loc("Traceability Lot Code Source"),
        *REFERENCE,
    ],
    "Shipping": [
        "Traceability Lot Code",
        *_prod(),
        "Quantity",
        "Unit of Measure",
        *_loc("Ship-To Location"),
        *_loc("Ship-From Location"),
        "Ship Date",
        *_loc("Traceability Lot Code Source"),
        *REFERENCE,
    ],
    "Receiving": [
        "Traceability Lot Code",
        *_prod(),
        "Quantity",
        "Unit of Measure",
        *_loc("Immediate Previous Source"),
        *_loc("Receiving Location"),
        "Receive Date",
        *_loc("Traceability Lot Code Source"),
        *REFERENCE,
    ],
    "Transformation": [
        "New Traceability Lot Code",
        *_prod("New Product Description"),
        "Quantity",
        "Unit of Measure",
        "Input Traceability Lot Code",
        *_prod("Input Product Description"),
        "Input Quantity",
        "Input Unit of Measure",
        *_loc("Transformation Location"),
        "Transformation Date",
        *REFERENCE,
    ],
}

Progress = Callable[[int, int], None]


@dataclass
class Fsma204:
    gtin: str
    lot: str
    sheets: dict[str, list[list[str]]] = field(default_factory=dict)
    ledger_indexes: list[int] = field(default_factory=list)
    truncated: bool = False

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.sheets.items()}


def _date(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%m/%d/%Y")


def _short(v: Any) -> str:
    s = str(v or "")
    return s.rsplit(":", 1)[-1] if s.startswith("urn:epcglobal:cbv:") else s


def _lot_of(urn: str) -> str | None:
    return item_elements(urn).get("10")  # an EPC URN or an item key (a Digital Link)


def _classes(values: Any) -> list[dict[str, Any]]:
    return [q for q in values or [] if isinstance(q, dict) and isinstance(q.get("epcClass"), str)]


class _Ctx:
    def __init__(self, session: Session, gtin: str, lot: str, events: list[Any]) -> None:
        places: set[str] = set()
        for _, _, b in events:
            for key in ("bizLocation", "readPoint"):
                v = (b.get(key) or {}).get("id")
                if isinstance(v, str):
                    places.add(v)
            for lst, k in (("sourceList", "source"), ("destinationList", "destination")):
                for e in b.get(lst) or []:
                    if isinstance(e, dict) and isinstance(e.get(k), str):
                        places.add(e[k])
        self.named = describe(session, places)
        self.products: dict[str, Product | None] = {}
        self.session = session
        self.gtin, self.lot = gtin, lot

    def location(self, pid: str | None) -> list[str]:
        if not pid:
            return [""] * 7
        d = self.named.get(pid) or {}
        party = d.get("party") or {}
        coords = ""
        if d.get("latitude") is not None and d.get("longitude") is not None:
            coords = f"{d['latitude']},{d['longitude']}"
        return [
            str(party.get("name") or d.get("name") or pid),
            "",
            str(d.get("address") or coords or pid),
            str(d.get("city") or ""),
            str(d.get("region") or ""),
            "",
            str(d.get("country") or ""),
        ]

    def product(self, gtin: str | None) -> list[str]:
        if gtin is None:
            return [""] * 6
        if gtin not in self.products:
            self.products[gtin] = self.session.get(Product, gtin)
        p = self.products[gtin]
        if p is None:
            return [gtin, "", "", "", "", ""]
        a = p.attributes or {}
        return [
            p.name,
            p.brand,
            str(a.get("commodity") or p.category),
            str(a.get("variety") or ""),
            str(a.get("packaging_size") or a.get("net_content") or ""),
            str(a.get("packaging_style") or a.get("packaging") or ""),
        ]


def _party_place(b: dict[str, Any], lst: str, key: str) -> str | None:
    entries = [e for e in b.get(lst) or [] if isinstance(e, dict)]
    for want in ("location", "owning_party", "possessing_party"):
        for e in entries:
            if str(e.get("type", "")).endswith(want) and isinstance(e.get(key), str):
                return str(e[key])
    return None


def _refs(b: dict[str, Any]) -> list[str]:
    for t in b.get("bizTransactionList") or []:
        if isinstance(t, dict):
            return [_short(t.get("type")), str(t.get("bizTransaction", "")).rsplit(":", 1)[-1]]
    return ["", ""]


def export(
    session: Session,
    *,
    gtin: str,
    lot: str,
    since: date | None = None,
    until: date | None = None,
    max_nodes: int = 50_000,
    progress: Progress | None = None,
) -> Fsma204:
    """The sortable spreadsheet's rows for a lot (optionally only events in [since, until])."""
    if since and until and since > until:
        raise InvalidInputError("from is after to", field="from", value=since.isoformat())
    ids = lot_ids(session, gtin=gtin, lot=lot)
    if not ids:
        raise NotFoundError(f"no events for lot {lot} of GTIN {gtin}", field="lot", value=lot)
    start = {i: Reach(NEG, POS, True) for i in ids}
    graph = StoreGraph(session)  # both walks read the same edges: load them once
    fwd = walk(session, direction="forward", start=start, max_nodes=max_nodes, graph=graph)
    back = walk(session, direction="backward", start=start, max_nodes=max_nodes, graph=graph)
    indexes = sorted(set(fwd.ledger_indexes) | set(back.ledger_indexes))
    events = bodies(session, indexes)
    out = Fsma204(gtin=gtin, lot=lot, ledger_indexes=indexes)
    out.truncated = fwd.truncated or back.truncated
    out.sheets = {name: [] for name in SHEETS}
    ctx = _Ctx(session, gtin, lot, events)
    # compared by item key: ids and event bodies may write one item in different forms
    lot_classes = {item_key(i) for i in ids if is_lot_class(i)}
    serials = {item_key(i) for i in ids} - lot_classes
    inside: dict[str, float] = defaultdict(float)
    harvest_place: str | None = None
    cooling_place: str | None = None
    tlc_source: str | None = None
    packed = False
    for n, (_, when, b) in enumerate(events):
        if progress is not None and n % 500 == 0:
            progress(n, len(events))
        day = when.date()
        keep = (since is None or day >= since) and (until is None or day <= until)
        step, place = _short(b.get("bizStep")), (b.get("bizLocation") or {}).get("id")
        etype = b.get("type")
        epcs = [item_key(e) for e in b.get("epcList") or [] if isinstance(e, str)]
        if etype == "AggregationEvent" and b.get("action") == "ADD":
            parent = b.get("parentID")
            for q in _classes(b.get("childQuantityList")):
                if item_key(q["epcClass"]) in lot_classes and isinstance(parent, str):
                    inside[item_key(parent)] += float(q.get("quantity") or 0)
            for c in b.get("childEPCs") or []:
                if isinstance(c, str) and item_key(c) in serials and isinstance(parent, str):
                    inside[item_key(parent)] += 1
            continue
        if etype == "TransformationEvent":
            outs = _classes(b.get("outputQuantityList"))
            ins = _classes(b.get("inputQuantityList"))
            mine = [q for q in outs if item_key(q["epcClass"]) in lot_classes]
            if not mine:
                continue
            tlc_source = place
            packed = True
            qty = sum(float(q.get("quantity") or 0) for q in mine)
            uom = str(mine[0].get("uom") or "cases")
            if not keep:
                continue
            if not ins:  # raw, unlotted inputs: the lot is assigned here
                raw = [e for e in b.get("inputEPCList") or [] if isinstance(e, str)]
                out.sheets["Initial Packing"].append(
                    [
                        lot,
                        *ctx.product(gtin),
                        _num(qty),
                        uom,
                        _commodity(raw, ctx),
                        str(len(raw)),
                        "crates" if raw else "",
                        *ctx.location(harvest_place),
                        *ctx.location(cooling_place),
                        *ctx.location(place),
                        _date(when),
                        *_refs(b),
                    ]
                )
            else:
                for q in ins:
                    out.sheets["Transformation"].append(
                        [
                            lot,
                            *ctx.product(gtin),
                            _num(qty),
                            uom,
                            str(_lot_of(q["epcClass"]) or ""),
                            *ctx.product(_gtin_of(q["epcClass"])),
                            _num(float(q.get("quantity") or 0)),
                            str(q.get("uom") or ""),
                            *ctx.location(place),
                            _date(when),
                            *_refs(b),
                        ]
                    )
            continue
        if etype != "ObjectEvent":
            continue
        if step == "commissioning" and not packed:
            harvest_place = place
            if keep:
                out.sheets["Harvesting"].append(
                    [
                        _commodity(epcs, ctx),
                        "",
                        str(len(epcs)),
                        "containers",
                        *ctx.location(place),
                        ", ".join(epcs[:3]) + (" ..." if len(epcs) > 3 else ""),
                        _date(when),
                        *ctx.location(None),
                        *_refs(b),
                    ]
                )
            continue
        if step in ("storing", "cooling") and not packed and b.get("sensorElementList"):
            cooling_place = place
            if keep:
                out.sheets["Cooling"].append(
                    [
                        _commodity(epcs, ctx),
                        "",
                        str(len(epcs)),
                        "containers",
                        *ctx.location(place),
                        _date(when),
                        *ctx.location(harvest_place),
                        *ctx.location(None),
                        *_refs(b),
                    ]
                )
            continue
        if step not in ("shipping", "receiving") or not keep:
            continue
        qty = sum(inside.get(e, 0.0) for e in epcs) + sum(1 for e in epcs if e in serials)
        qty += sum(
            float(q.get("quantity") or 0)
            for q in _classes(b.get("quantityList"))
            if item_key(q["epcClass"]) in lot_classes
        )
        if not qty:
            continue
        src = _party_place(b, "sourceList", "source")
        dst = _party_place(b, "destinationList", "destination")
        if step == "shipping":
            row = [
                lot,
                *ctx.product(gtin),
                _num(qty),
                "cases",
                *ctx.location(dst),
                *ctx.location(src or place),
                _date(when),
                *ctx.location(tlc_source),
                *_refs(b),
            ]
            out.sheets["Shipping"].append(row)
        else:
            sheet = "First Land-Based Receiving" if b.get("suyuan:landing") else "Receiving"
            if sheet == "Receiving":
                row = [
                    lot,
                    *ctx.product(gtin),
                    _num(qty),
                    "cases",
                    *ctx.location(src),
                    *ctx.location(dst or place),
                    _date(when),
                    *ctx.location(tlc_source),
                    *_refs(b),
                ]
            else:
                row = [
                    lot,
                    *ctx.product(gtin),
                    _num(qty),
                    "cases",
                    str(b.get("suyuan:landing")),
                    _date(when),
                    *ctx.location(dst or place),
                    *ctx.location(tlc_source),
                    *_refs(b),
                ]
            out.sheets[sheet].append(row)
    if progress is not None:
        progress(len(events), len(events))
    return out


def _num(q: float) -> str:
    return str(int(q)) if q == int(q) else str(q)


def _gtin_of(urn: str) -> str | None:
    return item_elements(urn).get("01")  # an EPC URN or an item key (a Digital Link)


def _commodity(epcs: list[str], ctx: _Ctx) -> str:
    for e in epcs:
        g = _gtin_of(e)
        if g:
            return ctx.product(g)[0]
    return ""


def write(result: Fsma204, *, out_dir: Path) -> list[Path]:
    """One CSV per sheet (``<Sheet Name>.csv``) and ``fsma204.xlsx`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, header in SHEETS.items():
        path = out_dir / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(result.sheets.get(name, []))
        written.append(path)
    book = out_dir / "fsma204.xlsx"
    write_xlsx(book, [(n, h, result.sheets.get(n, [])) for n, h in SHEETS.items()])
    written.append(book)
    return written
