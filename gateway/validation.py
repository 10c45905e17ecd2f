"""Event validation for the gateway: schema/vocabulary/identifiers, bound location, clock skew.

Schema, vocabulary and identifier checks and the CBV 2.0 event hash come from
:mod:`traceability.events` (``validate_event`` / ``event_hash``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.errors import Rejected
from gateway.key_cache import DeviceInfo
from traceability.events import event_hash, validate_event

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
    {"schema_invalid", "invalid_identifier", "clock_skew", "location_not_allowed"}
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


def parse_time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(UTC)


def location_allowed(loc: str, device: DeviceInfo) -> bool:
    """``loc`` is the device's bound location or under it (same GLN/SGLN, any extension)."""
    sgln, gln = device.location_sgln, device.location_gln
    if sgln is None and gln is None:
        return True
    if sgln is not None:
        if loc == sgln:
            return True
        if sgln.startswith("urn:epc:id:sgln:") and loc.startswith("urn:epc:id:sgln:"):
            base = sgln.rsplit(".", 1)[0] if sgln.count(".") >= 2 else sgln
            if loc.startswith(base + "."):
                return True
        if loc.startswith(sgln.rstrip("/") + "/"):
            return True
    if gln is not None and f"/414/{gln}" in loc:
        tail = loc.split(f"/414/{gln}", 1)[1]
        return tail == "" or tail.startswith(("/", "?"))
    return False


class EventPreparer:
    """Validates an envelope's events and computes their hashes and row fields."""

    def __init__(self, *, clock_skew_s: int) -> None:
        self.skew = timedelta(seconds=clock_skew_s)
        self.validate, self.hash = validate_event, event_hash

    def prepare(
        self, events: list[dict[str, Any]], *, device: DeviceInfo, received_at: datetime
    ) -> list[PreparedEvent]:
        limit = received_at + self.skew
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
            issues = self.validate(ev, index=i)
            if issues:
                raise _issue_rejection(issues[0], i, device.device_id)
            when = parse_time(ev["eventTime"]) if isinstance(ev.get("eventTime"), str) else None
            if when is None:
                raise Rejected(
                    "eventTime must be an RFC 3339 timestamp",
                    code="schema_invalid",
                    field=f"events[{i}].eventTime",
                    device=device.device_id,
                )
            if when > limit:
                raise Rejected(
                    f"eventTime {ev['eventTime']} is beyond the allowed clock skew",
                    code="clock_skew",
                    field=f"events[{i}].eventTime",
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
                    event_hash=self.hash(ev),
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
