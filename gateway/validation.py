"""Event validation for the gateway: schema/vocabulary/identifiers, bound location, clock skew.

Schema, vocabulary and identifier checks and the CBV 2.0 event hash come from
:mod:`traceability.events` (``validate_event`` / ``event_hash``); until that module provides
them, a minimal built-in check and a placeholder hash are used (see :func:`_resolve`).
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.errors import Rejected
from gateway.keys import DeviceInfo
from traceability.signing.service import canonical

EVENT_TYPES = frozenset({"ObjectEvent", "AggregationEvent", "TransactionEvent",
                         "TransformationEvent", "AssociationEvent"})
_OFFSET = re.compile(r"^[+-]\d\d:\d\d$")
_SGTIN = re.compile(r"^urn:epc:id:sgtin:\d{6,12}\.\d{1,7}\.[\x21-\x7e]{1,20}$")
_DL_GTIN = re.compile(r"^https?://[^/]+(?:/[^/]+)*?/01/(\d+)(?:/|$|\?)")
_IDENT_WORDS = ("check_digit", "identifier", "epc", "gtin", "gln", "sscc", "uri", "sgtin")
REASON_CODES = frozenset({"schema_invalid", "invalid_identifier", "clock_skew",
                          "location_not_allowed"})


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


@dataclass(frozen=True, slots=True)
class Issue:
    index: int
    path: str
    code: str
    message: str


Validator = Callable[..., list[Any]]
Hasher = Callable[[dict[str, Any]], str]


def _resolve() -> tuple[Validator, Hasher]:
    validator: Validator = basic_validate
    hasher: Hasher = placeholder_hash
    for module, name in (("traceability.events", "validate_event"),
                         ("traceability.events.validate", "validate_event")):
        found = _lookup(module, name)
        if found is not None:
            validator = found
            break
    for module, name in (("traceability.events", "event_hash"),
                         ("traceability.events.hashing", "event_hash")):
        found = _lookup(module, name)
        if found is not None:
            hasher = found
            break
    return validator, hasher


def _lookup(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def placeholder_hash(event: dict[str, Any]) -> str:
    return "ni:///sha-256;" + hashlib.sha256(canonical(event)).hexdigest() + "?ver=CBV2.0"


def basic_validate(event: dict[str, Any], *, index: int = 0) -> list[Issue]:
    """Minimal structural and identifier checks (fallback for ``validate_event``)."""
    issues: list[Issue] = []

    def bad(path: str, code: str, message: str) -> None:
        issues.append(Issue(index, path, code, message))

    etype = event.get("type")
    if etype not in EVENT_TYPES:
        bad("type", "schema", f"unknown event type {etype!r}")
        return issues
    if not isinstance(event.get("eventTime"), str) or parse_time(event["eventTime"]) is None:
        bad("eventTime", "schema", "eventTime must be an RFC 3339 timestamp")
    tz = event.get("eventTimeZoneOffset")
    if not isinstance(tz, str) or not _OFFSET.match(tz):
        bad("eventTimeZoneOffset", "schema", "eventTimeZoneOffset must be ±hh:mm")
    if etype != "TransformationEvent" and event.get("action") not in ("ADD", "OBSERVE", "DELETE"):
        bad("action", "schema", "action must be ADD, OBSERVE or DELETE")
    for name in ("epcList", "childEPCs", "inputEPCList", "outputEPCList"):
        items = event.get(name)
        if items is None:
            continue
        if not isinstance(items, list):
            bad(name, "schema", f"{name} must be a list")
            continue
        for j, item in enumerate(items):
            if not isinstance(item, str):
                bad(f"{name}[{j}]", "schema", "an EPC must be a string")
            elif not identifier_ok(item):
                bad(f"{name}[{j}]", "invalid_identifier", f"invalid identifier {item[:80]!r}")
    for name in ("readPoint", "bizLocation"):
        loc = event.get(name)
        if loc is not None and (not isinstance(loc, dict) or not isinstance(loc.get("id"), str)):
            bad(f"{name}.id", "schema", f"{name} must be an object with an id")
    return issues


def identifier_ok(item: str) -> bool:
    if item.startswith("urn:epc:id:sgtin:"):
        return bool(_SGTIN.match(item))
    m = _DL_GTIN.match(item)
    if m:
        return gtin_ok(m.group(1))
    return ":" in item


def gtin_ok(digits: str) -> bool:
    if len(digits) not in (8, 12, 13, 14) or not digits.isdigit():
        return False
    body = digits[:-1].rjust(17, "0")
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(body))
    return (10 - total % 10) % 10 == int(digits[-1])


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
        self.validate, self.hash = _resolve()

    def prepare(self, events: list[dict[str, Any]], *, device: DeviceInfo,
                received_at: datetime) -> list[PreparedEvent]:
        limit = received_at + self.skew
        out: list[PreparedEvent] = []
        for i, ev in enumerate(events):
            if ev.get("type") not in EVENT_TYPES:
                raise Rejected(f"unknown event type {str(ev.get('type'))[:60]!r}",
                               code="schema_invalid", field=f"events[{i}].type",
                               device=device.device_id)
            issues = self.validate(ev, index=i)
            if issues:
                raise _issue_rejection(issues[0], i, device.device_id)
            when = parse_time(ev["eventTime"]) if isinstance(ev.get("eventTime"), str) else None
            if when is None:
                raise Rejected("eventTime must be an RFC 3339 timestamp", code="schema_invalid",
                               field=f"events[{i}].eventTime", device=device.device_id)
            if when > limit:
                raise Rejected(f"eventTime {ev['eventTime']} is beyond the allowed clock skew",
                               code="clock_skew", field=f"events[{i}].eventTime",
                               device=device.device_id)
            rp, bl = _loc_id(ev.get("readPoint")), _loc_id(ev.get("bizLocation"))
            for name, loc in (("readPoint", rp), ("bizLocation", bl)):
                if loc is not None and not location_allowed(loc, device):
                    raise Rejected(f"{name} {loc[:120]!r} is not the device's location "
                                   f"{device.location_sgln or device.location_gln!r}",
                                   code="location_not_allowed", field=f"events[{i}].{name}.id",
                                   device=device.device_id)
            out.append(PreparedEvent(
                body=ev, event_hash=self.hash(ev), event_time=when,
                event_type=str(ev.get("type")), action=_str(ev.get("action")),
                biz_step=_str(ev.get("bizStep")), disposition=_str(ev.get("disposition")),
                read_point=rp, biz_location=bl))
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
