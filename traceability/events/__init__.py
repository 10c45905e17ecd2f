"""EPCIS 2.0 events: models, CBV 2.0 vocabularies, validation and the CBV 2.0 event hash."""

from traceability.events.hashing import event_hash, prehash_string

__all__ = ["event_hash", "prehash_string"]
