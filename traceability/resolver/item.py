"""What the store knows about the item a Digital Link names: identity, origin, journey, recall
status and the consumer verdict. Read-only: nothing a consumer sends changes a trace."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from traceability.errors import NotFoundError
from traceability.events.item_key import item_key
from traceability.identifiers import DigitalLink, epc_urn_from_elements, to_digital_link
from traceability.identifiers.errors import IdentifierError
from traceability.registry.models import Location, Lot, Party, Product
from traceability.store.models import EventRow

# verdicts, most severe first; a recall overrides every other one
RECALLED, EXPIRED, SUSPICIOUS, UNVERIFIED, VERIFIED = (
    "recalled",
    "expired",
    "suspicious",
    "unverified",
    "verified",
)
_MAX_STEPS = 200
_ORIGIN_HOPS = 3
_MAX_INPUTS = 50


@dataclass(frozen=True, slots=True)
class JourneyStep:
    ledger_index: int
    time: datetime
    event_type: str
    biz_step: str
    disposition: str
    place: str
    party: str
    region: str
    lot: str = ""  # the ILMD lot number (cbvmda:lotNumber) the record gives the item
    event_hash: str = ""


@dataclass(frozen=True, slots=True)
class ItemView:
    gtin: str
    lot: str | None
    serial: str | None
    expiry: date | None
    product_name: str
    brand: str
    owner: str
    verdict: str
    reasons: tuple[str, ...]
    recall_reason: str | None = None
    recalled_at: datetime | None = None
    origin: JourneyStep | None = None
    produced_on: date | None = None
    certifications: tuple[dict[str, str], ...] = ()
    steps: tuple[JourneyStep, ...] = ()
    latest_event: str | None = None
    latest_index: int | None = None
    receipt_ready: bool = False  # the latest record is in a signed checkpoint
    attributes: dict[str, Any] = field(default_factory=dict)
    category: str = ""
    urns: tuple[str, ...] = ()  # the item's and its lot's identifiers in the store


def _candidate_urns(gtin: str, lot: str | None, serial: str | None) -> list[str]:
    """The ids the item may be stored under: its one key (the canonical Digital Link, records of
    version 2) and the EPC URNs of older records (the GS1 Company Prefix length is not in the
    GTIN, so every possible split, 6-12 digits, is a candidate)."""
    out: list[str] = []
    for extra in ((("21", serial),) if serial else ()) + ((("10", lot),) if lot else ()):
        with contextlib.suppress(IdentifierError):
            out.append(item_key(to_digital_link((("01", gtin), extra))))
    for n in range(6, 13):
        for extra in ((("21", serial),) if serial else ()) + ((("10", lot),) if lot else ()):
            try:
                out.append(epc_urn_from_elements((("01", gtin), extra), n))
            except IdentifierError:
                continue
    return out


def _equipment_urns(gtin: str, serial: str | None, session: Session) -> list[str]:
    """A special-equipment unit labelled with its model's GTIN and, as serial, its 18-character
    equipment code: the unit's GIAI, when its company prefix is the GTIN's."""
    if not serial or len(serial) != 18:
        return []
    q = sa.text(
        "select distinct item from ledger_item where item >= 'urn:epc:id:giai:' "
        "and item < 'urn:epc:id:giai;' and item like :tail"
    )
    found = [str(r[0]) for r in session.execute(q, {"tail": f"%.%{serial}"})]
    urns = [u for u in found if u.endswith(serial) and gtin[1:].startswith(u[16:].split(".")[0])]
    # records of version 2 name the unit by its key (the GIAI's Digital Link): the GIAI is the
    # company prefix (one of the GTIN's possible splits, 6-12 digits) followed by the code
    keys = []
    for n in range(6, 13):
        with contextlib.suppress(IdentifierError, ValueError):
            keys.append(item_key(to_digital_link((("8004", gtin[1 : 1 + n] + serial),))))
    return urns + keys


def _recorded(session: Session, urns: list[str]) -> bool:
    q = sa.text("select 1 from ledger_item where item in :items limit 1").bindparams(
        sa.bindparam("items", expanding=True)
    )
    return session.execute(q, {"items": urns}).first() is not None


_LEDGER_ITEM = sa.table("ledger_item", sa.column("item"), sa.column("idx"))


def _steps(session: Session, urns: list[str]) -> list[JourneyStep]:
    """The item's records (the newest :data:`_MAX_STEPS`): indexes, events, places."""
    if not urns:
        return []
    idx = sa.select(_LEDGER_ITEM.c.idx).where(_LEDGER_ITEM.c.item.in_(urns))
    indexes = sorted({int(i) for i in session.execute(idx).scalars()})[-_MAX_STEPS:]
    if not indexes:  # a literal list: the hypertable's chunks are pruned by it, not joined
        return []
    rows = session.exec(select(EventRow).where(col(EventRow.ledger_index).in_(indexes))).all()
    if not rows:
        return []
    where = {x for r in rows for x in (r.biz_location, r.read_point) if x}
    places: dict[str, Location] = {}
    parties: dict[str, str] = {}
    for place, party_name in session.exec(
        select(Location, Party.name)
        .join(Party, col(Party.id) == col(Location.party_id), isouter=True)
        .where(col(Location.sgln).in_(sorted(where)))
    ).all():
        if place.sgln:
            places[place.sgln] = place
            parties[place.party_id] = party_name or ""
    steps = []
    for row in sorted(rows, key=lambda r: (r.event_time, r.ledger_index)):
        loc = places.get(row.biz_location or "") or places.get(row.read_point or "")
        steps.append(
            JourneyStep(
                ledger_index=row.ledger_index,
                time=row.event_time,
                event_type=row.event_type,
                biz_step=row.biz_step or "",
                disposition=row.disposition or "",
                place=loc.name if loc else (row.biz_location or row.read_point or ""),
                party=parties.get(loc.party_id, "") if loc else "",
                region=" ".join(x for x in (loc.city, loc.region) if x) if loc else "",
                lot=_ilmd_lot(row.body),
                event_hash=row.event_hash,
            )
        )
    return steps


def _ilmd_lot(body: Any) -> str:
    ilmd = body.get("ilmd") if isinstance(body, dict) else None
    lot = ilmd.get("cbvmda:lotNumber") if isinstance(ilmd, dict) else None
    return lot if isinstance(lot, str) and 0 < len(lot) <= 20 else ""


def _origin(session: Session, urns: list[str], steps: list[JourneyStep]) -> JourneyStep | None:
    """The first place of the item's history, following ``transforms`` edges back to the
    inputs it was made from (a carton of oranges -> the orchard's crates), a few hops."""
    first = steps[0] if steps else None
    frontier = urns
    q = sa.text(
        "select distinct src from trace_edge where kind = 'transforms' and dst in :dst"
    ).bindparams(sa.bindparam("dst", expanding=True))
    for _ in range(_ORIGIN_HOPS):
        if not frontier:
            break
        inputs = sorted({str(r[0]) for r in session.execute(q, {"dst": frontier})})[:_MAX_INPUTS]
        earlier = _steps(session, inputs)
        if earlier and (first is None or earlier[0].time <= first.time):
            first = earlier[0]
        frontier = inputs
    return first


def _expiry_attr(dl: DigitalLink) -> date | None:
    raw = dict(dl.attributes).get("17")
    if not raw:
        return None
    year, month, day = 2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:6])
    if day == 0:  # DD=00: end of month
        nxt = date(year + month // 12, month % 12 + 1, 1)
        return date.fromordinal(nxt.toordinal() - 1)
    return date(year, month, day)


def look_up(session: Session, *, dl: DigitalLink, today: date) -> ItemView:
    """The consumer view of the item; :class:`NotFoundError` when the GTIN is unknown here."""
    gtin = dl.primary[1]
    quals = dict(dl.qualifiers)
    lot_code, serial = quals.get("10"), quals.get("21")
    product = session.get(Product, gtin)
    if product is None:
        raise NotFoundError(
            f"no product with GTIN {gtin} is registered with this resolver",
            code="unknown_product",
            field="01",
            value=gtin,
        )
    owner = session.get(Party, product.party_id)
    lot = session.get(Lot, (gtin, lot_code)) if lot_code else None
    serial_urns = _candidate_urns(gtin, None, serial) if serial else []
    if product.category == "equipment":
        serial_urns += _equipment_urns(gtin, serial, session)
    lot_urns = _candidate_urns(gtin, lot_code, None)
    steps = _steps(session, serial_urns + lot_urns)
    if serial and not lot_code:  # a serial-only link: the lot its commissioning record gives
        lot_code = next((st.lot for st in steps if st.lot), None)
        if lot_code:
            lot = session.get(Lot, (gtin, lot_code))
            lot_urns = _candidate_urns(gtin, lot_code, None)
            steps = _steps(session, serial_urns + lot_urns)
    serial_seen = bool(serial_urns) and _recorded(session, serial_urns)
    label_expiry = _expiry_attr(dl)
    expiry = lot.expires_on if lot and lot.expires_on else label_expiry
    reasons: list[str] = []
    recalled_by_event = any(s.disposition == "recalled" for s in steps)
    if (lot and lot.recalled) or recalled_by_event:
        verdict = RECALLED
        reasons.append("recall")
    elif expiry and expiry < today:
        verdict = EXPIRED
        reasons.append("expired")
    elif quals.get("10") and lot is None and not _recorded(session, lot_urns):
        verdict = SUSPICIOUS
        reasons.append("unknown_lot")
    elif label_expiry and lot and lot.expires_on and label_expiry != lot.expires_on:
        verdict = SUSPICIOUS
        reasons.append("expiry_mismatch")
    elif serial and not serial_seen:
        verdict = SUSPICIOUS
        reasons.append("unknown_serial")
    elif not quals.get("10") and not serial:
        verdict = UNVERIFIED
        reasons.append("no_lot_or_serial")
    elif not steps:
        verdict = UNVERIFIED
        reasons.append("no_records")
    else:
        verdict = VERIFIED
    certs = product.attributes.get("certifications") if product.attributes else None
    latest = max(steps, key=lambda s: s.ledger_index) if steps else None
    latest_event = latest.event_hash if latest is not None else None
    signed = session.execute(sa.text("select max(size) from ledger_checkpoint")).scalar()
    return ItemView(
        gtin=gtin,
        lot=lot_code,
        serial=serial,
        expiry=expiry,
        product_name=product.name,
        brand=product.brand,
        owner=owner.name if owner else product.party_id,
        verdict=verdict,
        reasons=tuple(reasons),
        recall_reason=lot.recall_reason if lot and lot.recalled else None,
        recalled_at=lot.recalled_at if lot and lot.recalled else None,
        origin=_origin(session, serial_urns + lot_urns, steps),
        produced_on=lot.produced_on if lot else None,
        certifications=tuple(
            {str(k): str(v) for k, v in c.items()}
            for c in (certs if isinstance(certs, list) else [])
            if isinstance(c, dict)
        ),
        steps=tuple(steps),
        latest_event=latest_event,
        latest_index=latest.ledger_index if latest else None,
        receipt_ready=latest is not None and signed is not None and latest.ledger_index < signed,
        attributes=dict(product.attributes or {}),
        category=str(product.category),
        urns=tuple(serial_urns + lot_urns),
    )
