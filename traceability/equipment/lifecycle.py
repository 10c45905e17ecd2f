"""Special-equipment lifecycle steps recorded through the API (not by a device on site).

:func:`record_step` validates the request and ledgers one EPCIS ObjectEvent signed by the
platform on the caller's behalf (like a recall: ``traceability.recall.platform.record_event``),
so the compliance computation (:mod:`traceability.equipment.service`, ``GET
/equipment/overdue``) sees it like a device's event. The event carries ``suyuan:lifecycle``
(the step), ``suyuan:onBehalfOf`` (the accountable party) and ``suyuan:assertedBy`` (who asked).

======================  ==============  ========  ===============================
step                    bizStep         action    disposition
======================  ==============  ========  ===============================
``registration``        commissioning   ADD       active
``installation``        installing      OBSERVE   active
``maintenance``         inspecting      OBSERVE   (none)
``inspection``          inspecting      OBSERVE   conformant | non_conformant
``repair``              repairing       OBSERVE   (none)
``decommissioning``     decommissioning DELETE    inactive
======================  ==============  ========  ===============================

Registration names the unit's GIAI (``giai``: an EPC URN ``urn:epc:id:giai:...`` whose asset
reference ends in the equipment code); later steps find the unit by its code (404 before it is
registered). Maintenance must be done by a party with the ``maintenance`` or
``licensed_maintenance`` role (it becomes the accountable maintenance company). ``at`` is
judged by the same time rule as device events (before the floor: ``time_before_floor``; later
than now + the clock skew: ``clock_skew``; years 0001 and 9999 included).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlmodel import Session

from traceability.equipment.service import KINDS, units
from traceability.errors import ConflictError, InvalidInputError, NotFoundError
from traceability.events.timing import TimeRule
from traceability.identifiers import validate_cn_equipment_code
from traceability.identifiers.errors import IdentifierError
from traceability.recall.platform import record_event
from traceability.registry.models import Location, Party

NS: Final = "urn:suyuan:epcis:"
MAINTAINERS: Final = frozenset({"maintenance", "licensed_maintenance"})
# step -> (bizStep, action, default disposition)
STEPS: Final[dict[str, tuple[str, str, str | None]]] = {
    "registration": ("commissioning", "ADD", "active"),
    "installation": ("installing", "OBSERVE", "active"),
    "maintenance": ("inspecting", "OBSERVE", None),
    "inspection": ("inspecting", "OBSERVE", "conformant"),
    "repair": ("repairing", "OBSERVE", None),
    "decommissioning": ("decommissioning", "DELETE", "inactive"),
}
VERDICTS: Final = ("conformant", "non_conformant")


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _when(text: str | None, rule: TimeRule, now: datetime) -> datetime:
    if text is None:
        return now
    when, problem = rule.check(text, field="at", now=now)
    if problem is not None:
        raise InvalidInputError(problem.message, code=problem.code, field="at", value=text)
    if when is None:
        raise InvalidInputError(
            "at must be an RFC 3339 time with an offset", field="at", value=str(text)[:80]
        )
    return when


def _giai(code: str, giai: str | None, known: str | None, step: str) -> str:
    if step != "registration":
        if known is None:
            raise NotFoundError(
                f"no equipment unit {code}: register it first", field="code", value=code
            )
        if giai is not None and giai != known:
            raise InvalidInputError(f"unit {code} is {known}", field="giai", value=giai)
        return known
    if known is not None:
        raise ConflictError(f"unit {code} is already registered as {known}", field="code")
    if giai is None:
        raise InvalidInputError("registration needs the unit's giai", field="giai")
    ref = giai.rsplit(".", 1)[-1] if giai.startswith("urn:epc:id:giai:") else ""
    if not ref.endswith(code) or len(giai) > 120 or not giai.isascii():
        raise InvalidInputError(
            f"giai must be urn:epc:id:giai:... ending in the equipment code {code}",
            field="giai",
            value=giai[:120],
        )
    return giai


def record_step(
    session: Session,
    *,
    data_dir: Path,
    code: str,
    step: str,
    party_id: str,
    by: str,
    at: str | None = None,
    giai: str | None = None,
    location_id: str | None = None,
    disposition: str | None = None,
    time_rule: TimeRule | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Validate and ledger one lifecycle step; returns the unit, step, time and ledger index."""
    try:
        unit_code = validate_cn_equipment_code(code).code
    except IdentifierError as exc:  # named as the request's field, with the part that is wrong
        raise InvalidInputError(
            f"code: {exc.message}", code=exc.code, field="code", value=code[:64]
        ) from None
    if step not in STEPS:
        raise InvalidInputError(f"step must be one of {', '.join(KINDS)}", field="step", value=step)
    clock = (now or datetime.now(UTC)).astimezone(UTC)
    when = _when(at, time_rule or TimeRule(), clock)
    party = session.get(Party, party_id)
    if party is None:
        raise NotFoundError(
            f"party {party_id!r} is not registered", field="party_id", value=party_id
        )
    if step == "maintenance" and not MAINTAINERS & set(party.roles or []):
        raise InvalidInputError(
            f"party {party_id} is not a maintenance company (roles: maintenance or "
            "licensed_maintenance)",
            code="not_maintenance_company",
            field="party_id",
            value=party_id,
        )
    biz_step, action, disp = STEPS[step]
    if disposition is not None:
        if step != "inspection" or disposition not in VERDICTS:
            raise InvalidInputError(
                "disposition is conformant or non_conformant, for an inspection only",
                field="disposition",
                value=disposition,
            )
        disp = disposition
    known = next((u.epc for u in units(session) if u.code == unit_code), None)
    epc = _giai(unit_code, giai, known, step)
    event: dict[str, Any] = {
        "@context": [{"suyuan": NS}],
        "type": "ObjectEvent",
        "eventTime": _iso(when),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [epc],
        "action": action,
        "bizStep": biz_step,
        "suyuan:lifecycle": step,
        "suyuan:onBehalfOf": party_id,
        "suyuan:assertedBy": by,
    }
    if disp is not None:
        event["disposition"] = disp
    if location_id is not None:
        loc = session.get(Location, location_id)
        if loc is None:
            raise NotFoundError(
                f"location {location_id!r} is not registered",
                field="location_id",
                value=location_id,
            )
        event["suyuan:locationId"] = loc.id
        if loc.sgln:
            event["bizLocation"] = {"id": loc.sgln}
    h, index = record_event(session, data_dir=data_dir, event=event, at=clock)
    return {
        "equipment_code": unit_code,
        "epc": epc,
        "step": step,
        "at": _iso(when),
        "party_id": party_id,
        "event_hash": h,
        "ledger_index": index,
    }
