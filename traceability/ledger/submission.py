"""What :func:`traceability.ledger.append.append_events` takes and gives back.

:class:`EventSubmission` (one verified event and its envelope), :class:`AppendResult` (its
outcome) and :func:`event_position` (where the event sits in its envelope).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from traceability.ledger.errors import SubmissionError
from traceability.signing.envelope import Envelope


@dataclass(frozen=True, slots=True)
class EventSubmission:
    """One verified, validated event to record.

    ``position`` is the event's index in ``envelope.events`` (found by identity, then equality,
    when omitted); ``envelope_bytes`` may carry ``envelope.signing_bytes()`` when the caller has
    already computed them (to verify the signature), saving a second canonicalisation.
    """

    event: dict[str, Any]
    event_hash: str
    envelope: Envelope
    device_id: str
    key_id: str
    position: int | None = None
    envelope_bytes: bytes | None = None


@dataclass(frozen=True, slots=True)
class AppendResult:
    event_hash: str
    status: Literal["appended", "duplicate"]
    index: int


def event_position(sub: EventSubmission, cache: dict[int, dict[int, int]]) -> int:
    events = sub.envelope.events
    if sub.position is not None:
        if not 0 <= sub.position < len(events) or (
            events[sub.position] is not sub.event and events[sub.position] != sub.event
        ):
            raise SubmissionError(
                "event is not at that position of its envelope",
                field="position",
                value=sub.position,
            )
        return sub.position
    by_id = cache.setdefault(id(sub.envelope), {id(e): i for i, e in enumerate(events)})
    pos = by_id.get(id(sub.event))
    if pos is None:
        pos = next((i for i, e in enumerate(events) if e == sub.event), None)
    if pos is None:
        raise SubmissionError("event is not in its envelope", field="event", value=sub.event_hash)
    return pos
