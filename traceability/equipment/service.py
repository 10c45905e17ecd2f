"""Special equipment (特种设备): each unit's lifecycle and whether it is overdue.

A unit is a GIAI whose asset reference ends with its 18-character special-equipment code
(variety 4 + manufacturer 5 + year 4 + sequence 5). Its lifecycle is read from the events that
touch it: ``commissioning`` (registration), ``installing``, ``inspecting`` (maintenance when
the signing device's party is a maintenance company, else an inspection; dispositions
``conformant`` / ``non_conformant`` are inspections), ``repairing``, ``decommissioning``.
A step recorded through the API (:mod:`traceability.equipment.lifecycle`) is signed by the
platform's device and names its step (``suyuan:lifecycle``) and accountable party
(``suyuan:onBehalfOf``): those are read instead of the signing device's party.

Compliance: maintenance at least every :data:`DEFAULT_INTERVALS` days (elevators, variety 3xxx:
15 days) and periodic inspection yearly; other intervals per variety prefix through
``intervals`` (longest matching prefix wins). A decommissioned unit is never overdue. The
accountable maintenance company is the party of the device that did the last maintenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.errors import InvalidInputError, NotFoundError
from traceability.events.item_key import item_elements
from traceability.identifiers import validate_cn_equipment_code
from traceability.identifiers.errors import IdentifierError
from traceability.ledger.audit.recall import PLATFORM_DEVICE
from traceability.registry.models import Party
from traceability.store.types import JSONType, UTCDateTime
from traceability.trace.places import describe, device_parties, party_info

# variety prefix -> {kind: days}; "" applies to every variety
DEFAULT_INTERVALS: dict[str, dict[str, int]] = {
    "": {"inspection": 365},
    "3": {"maintenance": 15, "inspection": 365},  # elevators (电梯)
}
KINDS = ("registration", "installation", "maintenance", "inspection", "repair", "decommissioning")
_STEPS = {
    "commissioning": "registration",
    "installing": "installation",
    "repairing": "repair",
    "decommissioning": "decommissioning",
}
_UNITS = sa.text(  # EPC URNs (records of version 1) and item keys (version 2)
    "select distinct item from ledger_item where (item >= 'urn:epc:id:giai:' "
    "and item < 'urn:epc:id:giai;') or (item >= 'https://id.gs1.org/8004/' "
    "and item < 'https://id.gs1.org/80040')"
)
_EVENTS = (
    sa.text(
        "select li.item, ev.ledger_index, ev.event_time, ev.device_id, ev.body "
        "from ledger_item li join event ev on ev.ledger_index = li.idx where li.item in :items"
    )
    .bindparams(sa.bindparam("items", expanding=True))
    .columns(
        sa.column("item"),
        sa.column("ledger_index"),
        sa.column("event_time", UTCDateTime()),
        sa.column("device_id"),
        sa.column("body", JSONType),
    )
)


@dataclass(frozen=True, slots=True)
class Unit:
    epc: str
    code: str
    variety: str


def _short(v: Any) -> str:
    s = str(v or "")
    return s.rsplit(":", 1)[-1] if s.startswith("urn:epcglobal:cbv:") else s


def _unit(epc: str) -> Unit | None:
    ref = epc.rsplit(".", 1)[-1] if epc.startswith("urn:epc:id:giai:") else ""
    if epc.startswith("https://id.gs1.org/8004/"):
        ref = item_elements(epc).get("8004", "")
    if len(ref) < 18:
        return None
    try:
        code = validate_cn_equipment_code(ref[-18:])
    except IdentifierError:
        return None
    return Unit(epc, code.code, code.variety)


def units(session: Session) -> list[Unit]:
    found = [_unit(str(i)) for i in session.connection().execute(_UNITS).scalars()]
    return sorted((u for u in found if u is not None), key=lambda u: u.code)


def parse_intervals(specs: list[str]) -> dict[str, dict[str, int]]:
    """``VARIETY:KIND=DAYS`` options (e.g. ``3110:maintenance=10``) over the defaults."""
    out = {k: dict(v) for k, v in DEFAULT_INTERVALS.items()}
    for spec in specs:
        try:
            variety, rest = spec.split(":", 1)
            kind, days = rest.split("=", 1)
            n = int(days)
        except ValueError:
            raise InvalidInputError(
                "interval must look like VARIETY:KIND=DAYS", field="interval", value=spec
            ) from None
        if kind not in ("maintenance", "inspection") or not 1 <= n <= 3650:
            raise InvalidInputError(
                "interval kind must be maintenance|inspection and days 1..3650",
                field="interval",
                value=spec,
            )
        if not variety.isalnum() or len(variety) > 4:
            raise InvalidInputError("variety must be 1-4 characters", field="interval")
        out.setdefault(variety, {})[kind] = n
    return out


def _intervals(variety: str, table: dict[str, dict[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for prefix in sorted(table, key=len):
        if variety.startswith(prefix):
            merged.update(table[prefix])
    return merged


def _lifecycles(session: Session, unit_list: list[Unit]) -> dict[str, list[dict[str, Any]]]:
    rows = []
    epcs = [u.epc for u in unit_list]
    conn = session.connection()
    for i in range(0, len(epcs), 500):
        rows += list(conn.execute(_EVENTS, {"items": epcs[i : i + 500]}))
    devices = device_parties(session, {r.device_id for r in rows if r.device_id})
    places = describe(session, {(r.body.get("bizLocation") or {}).get("id") or "" for r in rows})
    behalf = {
        str(r.body.get("suyuan:onBehalfOf"))
        for r in rows
        if r.device_id == PLATFORM_DEVICE and r.body.get("suyuan:lifecycle") in KINDS
    }
    parties = {p: party_info(session.get(Party, p)) for p in sorted(behalf)}
    out: dict[str, list[dict[str, Any]]] = {e: [] for e in epcs}
    for r in sorted(rows, key=lambda r: (r.event_time, r.ledger_index)):
        b = r.body
        step, disp = _short(b.get("bizStep")), _short(b.get("disposition"))
        dev = devices.get(r.device_id) or {}
        roles = set(((dev.get("party") or {}).get("roles")) or [])
        asserted = b.get("suyuan:lifecycle") if r.device_id == PLATFORM_DEVICE else None
        if asserted in KINDS:  # recorded through the API on a party's behalf
            kind = str(asserted)
            dev = {"party": parties.get(str(b.get("suyuan:onBehalfOf")))}
        elif step == "inspecting":
            maint = disp not in ("conformant", "non_conformant") and (
                not roles or bool(roles & {"maintenance", "licensed_maintenance"})
            )
            kind = "maintenance" if maint else "inspection"
        else:
            kind = _STEPS.get(step, step or "event")
        loc = (b.get("bizLocation") or {}).get("id") or b.get("suyuan:locationId")
        out[r.item].append(
            {
                "kind": kind,
                "at": r.event_time,
                "ledger_index": int(r.ledger_index),
                "disposition": disp,
                "device": r.device_id,
                "party": dev.get("party"),
                "location": {"id": loc, **places.get(loc or "", {})} if loc else None,
            }
        )
    return out


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def status(
    session: Session,
    *,
    at: datetime | None = None,
    intervals: dict[str, dict[str, int]] | None = None,
    code: str | None = None,
) -> list[dict[str, Any]]:
    """Each unit's lifecycle and compliance (``overdue`` lists what is late)."""
    now = (at or datetime.now(UTC)).astimezone(UTC)
    table = intervals or DEFAULT_INTERVALS
    unit_list = units(session)
    if code is not None:
        code = code.strip().upper()
        unit_list = [u for u in unit_list if u.code == code or u.epc == code]
        if not unit_list:
            raise NotFoundError(f"no equipment unit {code}", field="code", value=code)
    lives = _lifecycles(session, unit_list)
    out = []
    for u in unit_list:
        life = lives[u.epc]
        ended = any(e["kind"] == "decommissioning" for e in life)
        start = next((e["at"] for e in life if e["kind"] in ("installation", "registration")), None)
        due: list[dict[str, Any]] = []
        for kind, days in sorted(_intervals(u.variety, table).items()):
            done = [e for e in life if e["kind"] == kind]
            last = done[-1]["at"] if done else start
            if last is None or ended:
                continue
            deadline = last + timedelta(days=days)
            due.append(
                {
                    "kind": kind,
                    "every_days": days,
                    "last": _iso(done[-1]["at"]) if done else None,
                    "due": _iso(deadline),
                    "overdue": now > deadline,
                    "days_overdue": max(0, (now - deadline).days),
                }
            )
        maint = [e for e in life if e["kind"] == "maintenance"]
        loc = next((e["location"] for e in reversed(life) if e["location"]), None)
        out.append(
            {
                "equipment_code": u.code,
                "epc": u.epc,
                "variety": u.variety,
                "decommissioned": ended,
                "location": loc,
                "maintenance_company": maint[-1]["party"] if maint else None,
                "compliance": due,
                "overdue": [d["kind"] for d in due if d["overdue"]],
                "lifecycle": [{**e, "at": _iso(e["at"])} for e in life],
            }
        )
    return out


def overdue(
    session: Session,
    *,
    at: datetime | None = None,
    intervals: dict[str, dict[str, int]] | None = None,
) -> list[dict[str, Any]]:
    """The units late for maintenance or inspection (the regulator's list)."""
    return [
        {k: v for k, v in u.items() if k != "lifecycle"}
        for u in status(session, at=at, intervals=intervals)
        if u["overdue"]
    ]
