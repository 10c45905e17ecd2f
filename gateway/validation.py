"""Event validation for the gateway: schema/vocabulary/identifiers, bound location, clock skew.

Schema, vocabulary and identifier checks and the CBV 2.0 event hash come from
:mod:`traceability.events` (``validate_event`` / ``event_hash``), decided once per event shape
(:class:`traceability.events.shapes.ShapeCache`: per event only the times and EPCs are checked
and hashed; the answer is always the reference's). Times against the clock are judged here,
per event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from gateway.errors import Rejected
from gateway.key_cache import DeviceInfo
from traceability.events.shapes import ShapeCache
from traceability.events.timing import TimeRule
from traceability.events.validation import time_issues
from traceability.identifiers.places import Place, place_of

EVENT_TYPES = frozenset(
    {
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    }
)
_IDENT_WORDS = ("check_digit", "identifier", "epc", "gtin", "gln", "sscc", "uri", "sgtin")
REASON_CODES = frozenset(
    {
        "schema_invalid",
        "invalid_identifier",
        "clock_skew",
        "location_not_allowed",
        "time_before_floor",
        "time_too_old",
    }
)


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    body: dict[str, Any]
    event_hash: str
    event_time: datetime
    event_type: str
    action: str | None
    biz_step: str | None
    disposition: str | None
    read_point: str | None
    biz_location: str | None


def bound_place(device: DeviceInfo) -> Place | None:
    """The place a device is bound to: its location's SGLN, else its GLN (None: neither, or
    unparseable; such a device's events are refused)."""
    for text in (device.location_sgln, device.location_gln):
        if text:
            place = place_of(text)
            if place is not None:
                return place
    return None


def location_allowed(loc: str, device: DeviceInfo) -> bool:
    """``loc`` names the device's bound place, or a sub-location (an extension) of a place
    bound by GLN only; compared on GLN and extension after parsing (SGLN URN or Digital Link),
    never on text. A device bound to a place without a GLN may record no location at all."""
    bound = bound_place(device)
    if bound is None:
        return False
    place = place_of(loc)
    return place is not None and bound.covers(place)


class EventPreparer:
    """Validates an envelope's events and computes their hashes and row fields."""

    def __init__(self, *, clock_skew_s: int, time_rule: TimeRule | None = None) -> None:
        self.skew = timedelta(seconds=clock_skew_s)
        self.times = replace(time_rule or TimeRule(), skew=self.skew)
        self.shapes = ShapeCache()

    def prepare(
        self,
        events: list[dict[str, Any]],
        *,
        device: DeviceInfo,
        received_at: datetime,
        sent_at: datetime | None = None,
    ) -> list[PreparedEvent]:
        """Validated, hashed events; ``sent_at`` (the envelope's) bounds how old they may be."""
        if events and bound_place(device) is None:
            raise Rejected(
                f"device {device.device_id} is bound to location {device.location_id!r}, which "
                "has no valid GLN or SGLN: none of its events can be checked for place",
                code="location_not_allowed",
                field="device",
                device=device.device_id,
            )
        out: list[PreparedEvent] = []
        for i, ev in enumerate(events):
            etype = ev.get("type") if isinstance(ev, dict) else None
            if not isinstance(etype, str) or etype not in EVENT_TYPES:
                raise Rejected(
                    f"unknown event type {str(etype)[:60]!r}",
                    code="schema_invalid",
                    field=f"events[{i}].type",
                    device=device.device_id,
                )
            issues, digest = self.shapes.check(ev, index=i)  # times: the rule below
            if issues:
                raise _issue_rejection(issues[0], i, device.device_id)
            assert digest is not None  # ShapeCache.check: a hash whenever there is no issue
            when, problem = self.times.check(
                ev.get("eventTime"), field="eventTime", now=received_at, sent_at=sent_at
            )
            if problem is not None:
                raise Rejected(
                    problem.message,
                    code=problem.code,
                    field=f"events[{i}].eventTime",
                    device=device.device_id,
                )
            if when is None:
                raise Rejected(
                    "eventTime must be an RFC 3339 timestamp",
                    code="schema_invalid",
                    field=f"events[{i}].eventTime",
                    device=device.device_id,
                )
            extras = (
                time_issues(ev, i, time_rule=self.times, now=received_at)
                if "recordTime" in ev or "errorDeclaration" in ev
                else ()
            )
            for extra in extras:
                if extra.path != "eventTime":
                    raise Rejected(
                        extra.message,
                        code=extra.code,
                        field=f"events[{i}].{extra.path}",
                        device=device.device_id,
                    )
            rp, bl = _loc_id(ev.get("readPoint")), _loc_id(ev.get("bizLocation"))
            for name, loc in (("readPoint", rp), ("bizLocation", bl)):
                if loc is not None and not location_allowed(loc, device):
                    raise Rejected(
                        f"{name} {loc[:120]!r} is not the device's location "
                        f"{device.location_sgln or device.location_gln!r}",
                        code="location_not_allowed",
                        field=f"events[{i}].{name}.id",
                        device=device.device_id,
                    )
            out.append(
                PreparedEvent(
                    body=ev,
                    event_hash=digest,
                    event_time=when,
                    event_type=str(ev.get("type")),
                    action=_str(ev.get("action")),
                    biz_step=_str(ev.get("bizStep")),
                    disposition=_str(ev.get("disposition")),
                    read_point=rp,
                    biz_location=bl,
                )
            )
        return out


def _issue_rejection(issue: Any, i: int, device: str) -> Rejected:
    code = str(getattr(issue, "code", "schema"))
    path = str(getattr(issue, "path", "") or "")
    message = str(getattr(issue, "message", code))
    if code in REASON_CODES:
        reason = code
    elif any(w in code.lower() for w in _IDENT_WORDS):
        reason = "invalid_identifier"
    else:
        reason = "schema_invalid"
    field = f"events[{i}]" + (("." + path.lstrip(".")) if path else "")
    return Rejected(message, code=reason, field=field, device=device)


def _loc_id(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
