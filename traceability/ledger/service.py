"""The ledger's append API (called by the gateway and the demo) and its read API.

Appending events::

    results = append_events(session, submissions=[EventSubmission(...), ...])
    session.commit()   # the CALLER commits, and only then acks the MQTT message

:func:`append_events` runs in the caller's transaction; its steps are described (and marked in
the code) in :mod:`traceability.ledger.append`, the submission types are in
:mod:`traceability.ledger.submission`.

:func:`append_entry` appends a non-event entry (device key lifecycle). Reads:
:func:`inclusion_proof`, :func:`consistency_proof`, :func:`get_record`, :func:`entry_for_event`,
:func:`log_size`, :func:`root_at`; checkpoints: :func:`sign_checkpoint`,
:func:`latest_checkpoint` (from :mod:`traceability.ledger.checkpoint`).
"""

from __future__ import annotations

from traceability.ledger import store
from traceability.ledger.append import append_entry, append_events
from traceability.ledger.checkpoint import latest_checkpoint, sign_checkpoint
from traceability.ledger.submission import AppendResult, EventSubmission

__all__ = [
    "AppendResult",
    "EventSubmission",
    "append_entry",
    "append_events",
    "consistency_proof",
    "entry_for_event",
    "get_record",
    "inclusion_proof",
    "latest_checkpoint",
    "log_size",
    "root_at",
    "sign_checkpoint",
]

inclusion_proof = store.inclusion_proof
consistency_proof = store.consistency_proof
get_record = store.get_record
entry_for_event = store.entry_for_event
log_size = store.size
root_at = store.root
