"""The consumer page's further sections: the recall records, the cold chain and a special-
equipment unit's status. Read-only, like :mod:`traceability.resolver.item`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from traceability.equipment import service as equipment
from traceability.errors import NotFoundError
from traceability.recall.models import Recall
from traceability.resolver.item import RECALLED, ItemView
from traceability.store.types import JSONType, UTCDateTime

DEFAULT_RANGE_C = (0.0, 4.0)  # chilled produce; a product may set attributes.storage_c
_MAX_SENSOR_EVENTS = 2000
_CONTAINER_HOPS = 2
_BODIES = (
    sa.text("select event_time, body from event where ledger_index in :idx")
    .bindparams(sa.bindparam("idx", expanding=True))
    .columns(sa.column("event_time", UTCDateTime()), sa.column("body", JSONType))
)
_INDEXES = sa.text("select idx from ledger_item where item in :items").bindparams(
    sa.bindparam("items", expanding=True)
)
_PARENTS = sa.text(
    "select distinct src from trace_edge where kind = 'contains' and dst in :dst"
).bindparams(sa.bindparam("dst", expanding=True))


@dataclass(frozen=True, slots=True)
class RecallNotice:
    id: str
    level: str
    reason: str
    opened_at: datetime
    ledger_index: int


@dataclass(frozen=True, slots=True)
class ColdChain:
    readings: tuple[tuple[datetime, float], ...]
    low: float
    high: float

    @property
    def excursions(self) -> tuple[tuple[datetime, float], ...]:
        return tuple((t, v) for t, v in self.readings if not self.low <= v <= self.high)


@dataclass(frozen=True, slots=True)
class Certification:
    scheme: str
    issuer: str
    number: str
    valid_from: date | None
    valid_until: date | None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True, slots=True)
class EquipmentStatus:
    code: str
    last_maintenance: str | None
    next_maintenance: str | None
    last_inspection: str | None
    next_inspection: str | None
    overdue: tuple[str, ...]
    decommissioned: bool
    company: str | None
    company_uscc: str | None
    inspection_result: str | None


@dataclass(frozen=True, slots=True)
class Details:
    recalls: tuple[RecallNotice, ...] = ()
    cold_chain: ColdChain | None = None
    certifications: tuple[Certification, ...] = ()
    equipment: EquipmentStatus | None = None


def recalls(session: Session, view: ItemView) -> tuple[RecallNotice, ...]:
    """The recall records whose ledgered recall event is in the item's (or its lot's) history."""
    if view.verdict != RECALLED:
        return ()
    indexes = [s.ledger_index for s in view.steps if s.disposition == "recalled"]
    rows = list(session.exec(select(Recall).where(col(Recall.ledger_index).in_(indexes))).all())
    if not rows and view.lot:  # a lot marked recalled: its recall by scope
        lot = {"gtin": view.gtin, "lot": view.lot}
        rows = [
            r
            for r in session.exec(select(Recall).order_by(col(Recall.opened_at).desc()).limit(500))
            if lot in (r.scope or {}).get("lots", [])
        ]
    rows.sort(key=lambda r: r.opened_at, reverse=True)
    return tuple(RecallNotice(r.id, r.level, r.reason, r.opened_at, r.ledger_index) for r in rows)


def _temperature(body: dict[str, Any]) -> list[tuple[str | None, float]]:
    out = []
    for element in body.get("sensorElementList") or []:
        meta = element.get("sensorMetadata") or {} if isinstance(element, dict) else {}
        for r in (element.get("sensorReport") or []) if isinstance(element, dict) else []:
            kind = str(r.get("type", "")) if isinstance(r, dict) else ""
            value = r.get("value") if isinstance(r, dict) else None
            if kind.rsplit(":", 1)[-1].rsplit("/", 1)[-1] != "Temperature":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                unit = r.get("uom", "CEL")
                c = (value - 32) * 5 / 9 if unit == "FAH" else float(value)
                out.append((r.get("time") or meta.get("time"), c))
    return out


def cold_chain(session: Session, view: ItemView) -> ColdChain | None:
    """Temperature readings of the EPCIS ``sensorElementList`` of the events of the item, its
    lot and the containers (cases, pallets) that held them; None when there are none."""
    items = set(view.urns)
    frontier = list(view.urns)
    parents: set[str] = set()
    for _ in range(_CONTAINER_HOPS):
        if not frontier:
            break
        found = {str(r[0]) for r in session.execute(_PARENTS, {"dst": frontier})}
        frontier = sorted(found - items - parents)[:200]
        parents.update(frontier)
    indexes = {s.ledger_index for s in view.steps}
    if parents:
        indexes |= {int(r[0]) for r in session.execute(_INDEXES, {"items": sorted(parents)})}
    if not indexes:
        return None
    # a literal list of indexes: the event hypertable's chunks are not joined
    chosen = sorted(indexes)[-_MAX_SENSOR_EVENTS:]
    readings: list[tuple[datetime, float]] = []
    rows = session.execute(_BODIES, {"idx": chosen}).all()
    for when, body in rows:
        for stamp, c in _temperature(body if isinstance(body, dict) else {}):
            try:
                at = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else when
            except (AttributeError, ValueError):
                at = when
            readings.append((at, round(c, 1)))
    if not readings:
        return None
    low, high = DEFAULT_RANGE_C
    rng = view.attributes.get("storage_c")
    if isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int | float) for x in rng):
        low, high = float(rng[0]), float(rng[1])
    return ColdChain(tuple(sorted(set(readings))), low, high)


def _day(v: Any) -> date | None:
    try:
        return date.fromisoformat(str(v)) if v else None
    except ValueError:
        return None


def certifications(view: ItemView) -> tuple[Certification, ...]:
    """``attributes.certifications`` of the product: ``scheme`` (e.g. 绿色食品, 有机产品, 地理标志
    农产品, 无公害农产品: 三品一标), ``issuer``, ``number``, ``valid_from``, ``valid_until``."""
    raw = view.attributes.get("certifications")
    out = []
    for c in raw if isinstance(raw, list) else []:
        if isinstance(c, dict) and c.get("scheme"):
            out.append(
                Certification(
                    scheme=str(c["scheme"])[:100],
                    issuer=str(c.get("issuer", ""))[:200],
                    number=str(c.get("number", ""))[:100],
                    valid_from=_day(c.get("valid_from")),
                    valid_until=_day(c.get("valid_until")),
                )
            )
    return tuple(out)


def equipment_status(session: Session, view: ItemView, *, at: datetime) -> EquipmentStatus | None:
    """A special-equipment unit's maintenance and inspection (``traceability.equipment``)."""
    if view.category != "equipment" or not view.serial:
        return None
    try:
        found = equipment.status(session, at=at, code=view.serial)
    except NotFoundError:
        return None
    unit = found[0]
    due = {d["kind"]: d for d in unit["compliance"]}
    company = unit["maintenance_company"] or {}
    inspections = [e for e in unit["lifecycle"] if e["kind"] == "inspection"]
    return EquipmentStatus(
        code=unit["equipment_code"],
        last_maintenance=(due.get("maintenance") or {}).get("last"),
        next_maintenance=(due.get("maintenance") or {}).get("due"),
        last_inspection=(due.get("inspection") or {}).get("last"),
        next_inspection=(due.get("inspection") or {}).get("due"),
        overdue=tuple(unit["overdue"]),
        decommissioned=bool(unit["decommissioned"]),
        company=company.get("name"),
        company_uscc=company.get("uscc"),
        inspection_result=inspections[-1]["disposition"] if inspections else None,
    )


def details(session: Session, view: ItemView, *, at: datetime) -> Details:
    return Details(
        recalls=recalls(session, view),
        cold_chain=cold_chain(session, view),
        certifications=certifications(view),
        equipment=equipment_status(session, view, at=at),
    )
