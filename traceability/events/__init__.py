"""EPCIS 2.0 events: typed models, CBV 2.0 vocabularies, validation and the CBV 2.0 event hash.

Public API (stable names other modules call)::

    validate_document(doc: dict, *, rules="epcis") -> list[ValidationIssue]
    validate_event(event: dict, *, index: int = 0, rules="epcis") -> list[ValidationIssue]
    event_hash(event: dict, *, context=None, ignore_fields=()) -> str   # ni:///sha-256;…?ver=CBV2.0
    prehash_string(event: dict, *, context=None, ignore_fields=()) -> str
    document_hashes(doc: dict) -> list[str]
    parse_document(bytes | str | dict) -> EPCISDocument
    to_jsonld(EPCISDocument | event model | list of event models) -> dict
"""

from traceability.events.documents import (
    document_events,
    load_json,
    parse_document,
    parse_event,
    to_jsonld,
)
from traceability.events.errors import DocumentError, ValidationIssue
from traceability.events.hashing import (
    document_hashes,
    document_prehashes,
    event_hash,
    prehash_string,
)
from traceability.events.models import EPCISDocument
from traceability.events.validation import validate_document, validate_event

__all__ = [
    "DocumentError",
    "EPCISDocument",
    "ValidationIssue",
    "document_events",
    "document_hashes",
    "document_prehashes",
    "event_hash",
    "load_json",
    "parse_document",
    "parse_event",
    "prehash_string",
    "to_jsonld",
    "validate_document",
    "validate_event",
]
