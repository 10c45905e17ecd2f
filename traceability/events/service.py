"""Public entry points of the events package: parse, validate, hash documents and events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traceability.errors import InvalidInputError


def document_events(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The events of an EPCISDocument / EPCISQueryDocument (or a bare event), in order."""
    body = doc.get("epcisBody")
    if not isinstance(body, Mapping):
        if isinstance(doc.get("type"), str) and doc.get("type", "").endswith("Event"):
            return [doc]
        raise InvalidInputError("document has no epcisBody", code="malformed", field="epcisBody")
    if "eventList" in body:
        events = body["eventList"]
    elif "queryResults" in body:
        try:
            events = body["queryResults"]["resultsBody"]["eventList"]
        except (KeyError, TypeError) as exc:
            raise InvalidInputError(
                "query document has no resultsBody.eventList",
                code="malformed",
                field="epcisBody.queryResults",
            ) from exc
    elif "event" in body:
        events = [body["event"]]
    else:
        events = []
    if not isinstance(events, list) or not all(isinstance(e, Mapping) for e in events):
        raise InvalidInputError("eventList must be a list of objects", code="malformed")
    return events
