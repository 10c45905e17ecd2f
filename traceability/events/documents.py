"""Public entry points of the events package: read, validate, hash, write EPCIS 2.0 JSON-LD."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from traceability import strict_json
from traceability.errors import InvalidInputError
from traceability.events.errors import DocumentError
from traceability.events.models import AnyEvent, EPCISDocument

__all__ = ["document_events", "load_json", "parse_document", "parse_event", "to_jsonld"]

DEFAULT_CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
_EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyEvent)


def load_json(data: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    """JSON / JSON-LD text (or an already-parsed object) as a dict; DocumentError otherwise."""
    if isinstance(data, Mapping):
        return dict(data)
    try:
        obj = strict_json.loads(data)  # RFC 8259: NaN / Infinity / -Infinity are refused
    except strict_json.NonFiniteNumberError as exc:
        raise DocumentError(f"not JSON: {exc.message}", field=exc.field, value=exc.value) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DocumentError(f"not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise DocumentError("a document must be a JSON object")
    return obj


def document_events(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The events of an EPCISDocument / EPCISQueryDocument (or a bare event), in order."""
    body = doc.get("epcisBody")
    if not isinstance(body, Mapping):
        kind = doc.get("type")
        if isinstance(kind, str) and kind.endswith("Event"):
            return [doc]
        raise DocumentError("document has no epcisBody", field="epcisBody")
    if "eventList" in body:
        events = body["eventList"]
    elif "queryResults" in body:
        try:
            events = body["queryResults"]["resultsBody"]["eventList"]
        except (KeyError, TypeError) as exc:
            raise DocumentError(
                "query document has no resultsBody.eventList", field="epcisBody.queryResults"
            ) from exc
    elif "event" in body:
        events = [body["event"]]
    else:
        events = []
    if not isinstance(events, list) or not all(isinstance(e, Mapping) for e in events):
        raise DocumentError("eventList must be a list of objects", field="epcisBody.eventList")
    return events


def parse_event(event: Mapping[str, Any]) -> BaseModel:
    """One event as its typed model (extension members kept as extra fields)."""
    try:
        model: BaseModel = _EVENT_ADAPTER.validate_python(dict(event))
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"][1:])
        raise InvalidInputError(first["msg"], code="invalid_event", field=path) from exc
    return model


def parse_document(data: bytes | str | Mapping[str, Any]) -> EPCISDocument:
    """Parse an EPCISDocument or EPCISQueryDocument (JSON or JSON-LD) into typed models.

    Structural problems raise :class:`DocumentError` / :class:`InvalidInputError`; for the full
    list of schema and semantic problems use :func:`validate_document` on the dict.
    """
    raw = load_json(data)
    events = document_events(raw)
    shell = {k: v for k, v in raw.items() if k != "epcisBody"}
    body = raw.get("epcisBody")
    results = body.get("queryResults") if isinstance(body, Mapping) else None
    if isinstance(results, Mapping):
        shell["queryName"] = results.get("queryName")
        shell["subscriptionID"] = results.get("subscriptionID")
    try:
        doc = EPCISDocument.model_validate(
            {k: v for k, v in shell.items() if k not in ("queryName", "subscriptionID")}
        )
    except ValidationError as exc:
        raise DocumentError(f"not an EPCIS document: {exc.errors()[0]['msg']}") from exc
    doc.query_name = shell.get("queryName")
    doc.subscription_id = shell.get("subscriptionID")
    if isinstance(results, Mapping):
        doc.query_extra = {
            k: v
            for k, v in results.items()
            if k not in ("queryName", "subscriptionID", "resultsBody")
        }
    doc.events = [parse_event(e) for e in events]  # type: ignore[misc]
    return doc


def _dump(model: BaseModel) -> dict[str, Any]:
    out: dict[str, Any] = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return out


def to_jsonld(obj: EPCISDocument | BaseModel | list[BaseModel]) -> dict[str, Any]:
    """Serialise a document (or one event, or a list of events wrapped in a new EPCISDocument)."""
    if isinstance(obj, list):
        obj = EPCISDocument(events=obj)
    if not isinstance(obj, EPCISDocument):
        return _dump(obj)
    head = _dump(obj)
    head.setdefault("@context", DEFAULT_CONTEXT)
    events = [_dump(e) for e in obj.events]
    out: dict[str, Any] = {"@context": head.pop("@context")}
    out.update(head)
    if obj.type == "EPCISQueryDocument":
        results: dict[str, Any] = {"queryName": obj.query_name or "SimpleEventQuery"}
        if obj.subscription_id:
            results["subscriptionID"] = obj.subscription_id
        results.update(obj.query_extra)
        results["resultsBody"] = {"eventList": events}
        out["epcisBody"] = {"queryResults": results}
    else:
        out["epcisBody"] = {"eventList": events}
    return out
