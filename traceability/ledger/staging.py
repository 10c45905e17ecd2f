"""Staging an append: everything about a batch of submissions that does not depend on the log.

:func:`stage` computes, per submission, the items it touches (by their one key,
:func:`traceability.events.item_key.item_key`: records of version 2), its trace-graph edges, its
``event`` row columns and its position in its envelope, and per envelope the digest of its
signed bytes and its signature in base64url. None of it reads the database or the log's state
(a pure function, tested on its own); :func:`traceability.ledger.append.append_staged` does the
rest in the caller's transaction, and :func:`traceability.ledger.append.append_events` does both.
(Staging the next batch in a second thread while one is written was measured with
``bench.ledger``: no gain, both threads need the GIL.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from traceability.events.edges import EdgeParts, derive
from traceability.ledger import records
from traceability.ledger.errors import SubmissionError
from traceability.ledger.submission import EventSubmission, event_position
from traceability.signing.ed25519 import b64url

Columns = tuple[datetime, str, Any, Any, Any, Any, Any]  # time, type, action .. biz_location


@dataclass(slots=True)
class StagedBatch:
    """A batch of submissions with what :func:`stage` computed, in submission order."""

    submissions: list[EventSubmission] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)
    edges: list[list[EdgeParts]] = field(default_factory=list)
    columns: list[Columns] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    # envelope digest -> (device, key id, signature, signed bytes, signature in base64url)
    envelopes: dict[str, tuple[str, str, bytes, bytes, str]] = field(default_factory=dict)


def stage(submissions: Sequence[EventSubmission]) -> StagedBatch:
    """Stage ``submissions`` (pure: no database)."""
    out = StagedBatch()
    digests: dict[int, str] = {}
    pos_cache: dict[int, dict[int, int]] = {}
    for sub in submissions:
        env = sub.envelope
        if sub.device_id != env.device or sub.key_id != env.key:
            raise SubmissionError(
                "device/key id differ from the envelope's", field="device_id", value=sub.device_id
            )
        digest = digests.get(id(env))
        if digest is None:
            body = sub.envelope_bytes or env.signing_bytes()
            digest = hashlib.sha256(body).hexdigest()
            digests[id(env)] = digest
            out.envelopes.setdefault(digest, (env.device, env.key, env.sig, body, b64url(env.sig)))
        event = sub.event
        out.submissions.append(sub)
        items, edges = derive(event, keyed=records.ITEM_KEYED[records.EVENT_RECORD_VERSION])
        out.items.append(items)
        out.edges.append(edges)
        out.columns.append(records.event_columns(event))
        out.positions.append(event_position(sub, pos_cache))
        out.digests.append(digest)
    return out
