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
from traceability.exports.fsma204_columns import SHEETS, Columns
from traceability.exports.xlsx import write_xlsx
from traceability.recall.report import bodies
from traceability.trace.model import NEG, POS, Reach
from traceability.trace.resolve import lot_ids
from traceability.trace.walk import StoreGraph, walk

__all__ = ["SHEETS", "Fsma204", "export", "write"]

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
    rows = _Rows(Columns(session, gtin, lot, events), gtin=gtin, lot=lot, ids=ids)
    for n, (_, when, b) in enumerate(events):
        if progress is not None and n % 500 == 0:
            progress(n, len(events))
        day = when.date()
        rows.add(b, when, keep=(since is None or day >= since) and (until is None or day <= until))
    if progress is not None:
        progress(len(events), len(events))
    out.sheets = rows.sheets
    return out


class _Rows:
    """The sheets' rows, built event by event in time order. The state carried between events
    is what later CTEs name: where the lot was harvested and cooled, where its code was
    assigned (the Traceability Lot Code Source), and how much of the lot each container holds."""

    def __init__(self, cols: Columns, *, gtin: str, lot: str, ids: list[str]) -> None:
        self.cols, self.gtin, self.lot = cols, gtin, lot
        self.sheets: dict[str, list[list[str]]] = {name: [] for name in SHEETS}
        # compared by item key: ids and event bodies may write one item in different forms
        self.lot_classes = {item_key(i) for i in ids if is_lot_class(i)}
        self.serials = {item_key(i) for i in ids} - self.lot_classes
        self.inside: dict[str, float] = defaultdict(float)
        self.harvest_place: str | None = None
        self.cooling_place: str | None = None
        self.tlc_source: str | None = None
        self.packed = False

    def add(self, b: dict[str, Any], when: datetime, *, keep: bool) -> None:
        """One event: ``keep`` False (outside the date range) still updates the state."""
        etype = b.get("type")
        if etype == "AggregationEvent" and b.get("action") == "ADD":
            self._packed_into(b)
        elif etype == "TransformationEvent":
            self._transformation(b, when, keep=keep)
        elif etype == "ObjectEvent":
            self._object_event(b, when, keep=keep)

    def _packed_into(self, b: dict[str, Any]) -> None:
        parent = b.get("parentID")
        if not isinstance(parent, str):
            return
        for q in _classes(b.get("childQuantityList")):
            if item_key(q["epcClass"]) in self.lot_classes:
                self.inside[item_key(parent)] += float(q.get("quantity") or 0)
        for c in b.get("childEPCs") or []:
            if isinstance(c, str) and item_key(c) in self.serials:
                self.inside[item_key(parent)] += 1

    def _transformation(self, b: dict[str, Any], when: datetime, *, keep: bool) -> None:
        place = (b.get("bizLocation") or {}).get("id")
        outs = _classes(b.get("outputQuantityList"))
        ins = _classes(b.get("inputQuantityList"))
        mine = [q for q in outs if item_key(q["epcClass"]) in self.lot_classes]
        if not mine:
            return
        self.tlc_source = place
        self.packed = True
        qty = sum(float(q.get("quantity") or 0) for q in mine)
        uom = str(mine[0].get("uom") or "cases")
        if not keep:
            return
        c, lot = self.cols, self.lot
        if not ins:  # raw, unlotted inputs: the lot is assigned here
            raw = [e for e in b.get("inputEPCList") or [] if isinstance(e, str)]
            self.sheets["Initial Packing"].append(
                [
                    lot,
                    *c.product(self.gtin),
                    _num(qty),
                    uom,
                    _commodity(raw, c),
                    str(len(raw)),
                    "crates" if raw else "",
                    *c.location(self.harvest_place),
                    *c.location(self.cooling_place),
                    *c.location(place),
                    _date(when),
                    *_refs(b),
                ]
            )
            return
        for q in ins:
            self.sheets["Transformation"].append(
                [
                    lot,
                    *c.product(self.gtin),
                    _num(qty),
                    uom,
                    str(_element(q["epcClass"], "10") or ""),
                    *c.product(_element(q["epcClass"], "01")),
                    _num(float(q.get("quantity") or 0)),
                    str(q.get("uom") or ""),
                    *c.location(place),
                    _date(when),
                    *_refs(b),
                ]
            )

    def _object_event(self, b: dict[str, Any], when: datetime, *, keep: bool) -> None:
        step, place = _short(b.get("bizStep")), (b.get("bizLocation") or {}).get("id")
        epcs = [item_key(e) for e in b.get("epcList") or [] if isinstance(e, str)]
        c = self.cols
        if step == "commissioning" and not self.packed:
            self.harvest_place = place
            if keep:
                self.sheets["Harvesting"].append(
                    [
                        _commodity(epcs, c),
                        "",
                        str(len(epcs)),
                        "containers",
                        *c.location(place),
                        ", ".join(epcs[:3]) + (" ..." if len(epcs) > 3 else ""),
                        _date(when),
                        *c.location(None),
                        *_refs(b),
                    ]
                )
        elif step in ("storing", "cooling") and not self.packed and b.get("sensorElementList"):
            self.cooling_place = place
            if keep:
                self.sheets["Cooling"].append(
                    [
                        _commodity(epcs, c),
                        "",
                        str(len(epcs)),
                        "containers",
                        *c.location(place),
                        _date(when),
                        *c.location(self.harvest_place),
                        *c.location(None),
                        *_refs(b),
                    ]
                )
        elif step in ("shipping", "receiving") and keep:
            self._movement(b, when, step=step, place=place, epcs=epcs)

    def _movement(
        self, b: dict[str, Any], when: datetime, *, step: str, place: str | None, epcs: list[str]
    ) -> None:
        """A shipping or receiving of the lot's quantity (containers count their contents)."""
        qty = sum(self.inside.get(e, 0.0) for e in epcs)
        qty += sum(1 for e in epcs if e in self.serials)
        qty += sum(
            float(q.get("quantity") or 0)
            for q in _classes(b.get("quantityList"))
            if item_key(q["epcClass"]) in self.lot_classes
        )
        if not qty:
            return
        c = self.cols
        src = _party_place(b, "sourceList", "source")
        dst = _party_place(b, "destinationList", "destination")
        head = [self.lot, *c.product(self.gtin), _num(qty), "cases"]
        tail = [*c.location(self.tlc_source), *_refs(b)]
        if step == "shipping":
            row = [*head, *c.location(dst), *c.location(src or place), _date(when), *tail]
            self.sheets["Shipping"].append(row)
        elif b.get("suyuan:landing"):
            vessel = str(b.get("suyuan:landing"))
            row = [*head, vessel, _date(when), *c.location(dst or place), *tail]
            self.sheets["First Land-Based Receiving"].append(row)
        else:
            row = [*head, *c.location(src), *c.location(dst or place), _date(when), *tail]
            self.sheets["Receiving"].append(row)


def _date(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%m/%d/%Y")


def _short(v: Any) -> str:
    s = str(v or "")
    return s.rsplit(":", 1)[-1] if s.startswith("urn:epcglobal:cbv:") else s


def _element(urn: str, ai: str) -> str | None:
    """One GS1 element (``01`` GTIN, ``10`` lot) of an EPC URN or an item key (a Digital
    Link), or None."""
    return item_elements(urn).get(ai)


def _classes(values: Any) -> list[dict[str, Any]]:
    return [q for q in values or [] if isinstance(q, dict) and isinstance(q.get("epcClass"), str)]


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


def _num(q: float) -> str:
    return str(int(q)) if q == int(q) else str(q)


def _commodity(epcs: list[str], cols: Columns) -> str:
    for e in epcs:
        g = _element(e, "01")
        if g:
            return cols.product(g)[0]
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
