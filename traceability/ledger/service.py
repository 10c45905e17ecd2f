"""The ledger's append API (called by the gateway and the demo) and its read API.

Appending events::

    results = append_events(session, submissions=[EventSubmission(...), ...])
    session.commit()   # the CALLER commits, and only then acks the MQTT message

:func:`append_events` runs in the caller's transaction and:

1. takes the single-writer lock (``pg_advisory_xact_lock`` on PostgreSQL; on SQLite a write to
   ``ledger_lock`` first thing, which takes the database write lock), so that several gateway
   processes still build one log;
2. skips events whose hash is already in the ledger (status ``duplicate`` with the existing
   index; a repeat inside the batch is a duplicate of its first occurrence);
3. stores each envelope once (``ledger_envelope``, keyed by the digest of its unsigned
   canonical bytes);
4. builds every custody record in Python (previous record of each touched item, canonical bytes,
   leaf hash), the completed Merkle subtrees, the ``event`` rows and the ``trace_edge`` rows;
5. bulk-inserts them (COPY on PostgreSQL) and returns one :class:`AppendResult` per submission.

:func:`append_entry` appends a non-event entry (device key lifecycle). Reads:
:func:`inclusion_proof`, :func:`consistency_proof`, :func:`get_record`, :func:`entry_for_event`,
:func:`log_size`, :func:`root_at`; checkpoints: :func:`sign_checkpoint`,
:func:`latest_checkpoint` (from :mod:`traceability.ledger.checkpoint`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session

from traceability.ledger import bulk, merkle, records, store
from traceability.ledger.checkpoint import latest_checkpoint, sign_checkpoint
from traceability.ledger.errors import SubmissionError
from traceability.ledger.models import LedgerEntry, LedgerEnvelope, LedgerItem
from traceability.signing.envelope import Envelope
from traceability.signing.service import b64url
from traceability.trace.edges import EDGE_ID_STRIDE, derive_edges, items_of

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

ENTRY_COLS = ("idx", "kind", "leaf_hash", "record", "recorded_at", "event_hash", "envelope")
ENVELOPE_COLS = ("digest", "device_id", "key_id", "sig", "body")
SUBTREE_COLS = ("level", "idx", "hash")
ITEM_COLS = ("item", "idx")
EVENT_COLS = (
    "event_hash",
    "event_time",
    "event_type",
    "action",
    "biz_step",
    "disposition",
    "read_point",
    "biz_location",
    "device_id",
    "ledger_index",
    "recorded_at",
    "body",
)
EDGE_COLS = ("id", "kind", "src", "dst", "item", "event_hash", "event_time", "ledger_index")
_E = LedgerEntry.__table__  # type: ignore[attr-defined]
_V = LedgerEnvelope.__table__  # type: ignore[attr-defined]
_I = LedgerItem.__table__  # type: ignore[attr-defined]


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


def _position(sub: EventSubmission, cache: dict[int, dict[int, int]]) -> int:
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


def _existing_hashes(session: Session, hashes: list[str]) -> dict[str, int]:
    if not hashes:
        return {}
    rows = session.connection().execute(
        sa.select(_E.c.event_hash, _E.c.idx).where(_E.c.event_hash.in_(hashes))
    )
    return {str(h): int(i) for h, i in rows}


def _chain_heads(session: Session, items: set[str]) -> dict[str, tuple[int, str]]:
    """Latest (index, leaf hash hex) for each item already in the ledger."""
    if not items:
        return {}
    conn = session.connection()
    latest: dict[Any, Any] = dict(
        conn.execute(
            sa.select(_I.c.item, sa.func.max(_I.c.idx))
            .where(_I.c.item.in_(list(items)))
            .group_by(_I.c.item)
        ).all()
    )
    if not latest:
        return {}
    hashes: dict[Any, Any] = dict(
        conn.execute(
            sa.select(_E.c.idx, _E.c.leaf_hash).where(_E.c.idx.in_(list(set(latest.values()))))
        ).all()
    )
    return {str(k): (int(i), bytes(hashes[i]).hex()) for k, i in latest.items()}


def _now(at: datetime | None) -> datetime:
    when = at or datetime.now(UTC)
    if when.tzinfo is None:
        raise SubmissionError("recorded_at must be timezone-aware", field="recorded_at")
    return when.astimezone(UTC)


def append_events(
    session: Session, *, submissions: Sequence[EventSubmission], recorded_at: datetime | None = None
) -> list[AppendResult]:
    """Record events in the caller's transaction; see the module docstring for the steps."""
    if not submissions:
        return []
    store.lock(session)  # step 1
    n0 = store.size(session)
    when = _now(recorded_at)
    stamp = records.format_time(when)
    seen = _existing_hashes(session, list({s.event_hash for s in submissions}))  # step 2
    results: list[AppendResult] = []
    fresh: list[tuple[EventSubmission, int]] = []
    pos_cache: dict[int, dict[int, int]] = {}
    for sub in submissions:
        if sub.event_hash in seen:
            results.append(AppendResult(sub.event_hash, "duplicate", seen[sub.event_hash]))
            continue
        if sub.device_id != sub.envelope.device or sub.key_id != sub.envelope.key:
            raise SubmissionError(
                "device/key id differ from the envelope's", field="device_id", value=sub.device_id
            )
        index = n0 + len(fresh)
        seen[sub.event_hash] = index
        fresh.append((sub, _position(sub, pos_cache)))
        results.append(AppendResult(sub.event_hash, "appended", index))
    if not fresh:
        return results
    # step 3: envelopes, once each
    digests: dict[int, str] = {}
    env_rows: dict[str, tuple[Any, ...]] = {}
    for sub, _ in fresh:
        if id(sub.envelope) not in digests:
            body = sub.envelope_bytes or sub.envelope.signing_bytes()
            digest = hashlib.sha256(body).hexdigest()
            digests[id(sub.envelope)] = digest
            env_rows.setdefault(
                digest, (digest, sub.envelope.device, sub.envelope.key, sub.envelope.sig, body)
            )
    stored = set(
        session.connection()
        .execute(sa.select(_V.c.digest).where(_V.c.digest.in_(list(env_rows))))
        .scalars()
    )
    # step 4: records, leaves, events, edges
    item_lists = [items_of(sub.event) for sub, _ in fresh]
    heads = _chain_heads(session, {i for lst in item_lists for i in lst})
    entry_rows: list[tuple[Any, ...]] = []
    event_rows: list[tuple[Any, ...]] = []
    edge_rows: list[tuple[Any, ...]] = []
    item_rows: list[tuple[Any, ...]] = []
    leaves: list[bytes] = []
    dumps = json.dumps
    for k, ((sub, pos), items) in enumerate(zip(fresh, item_lists, strict=True)):
        index = n0 + k
        links = []
        for item in items:
            prev, prev_hash = heads.get(item, (records.NO_PREV, ""))
            links.append({"item": item, "prev": prev, "prev_hash": prev_hash})
            item_rows.append((item, index))
        digest = digests[id(sub.envelope)]
        rec = records.event_record(
            index=index,
            recorded_at=stamp,
            event_hash=sub.event_hash,
            envelope_digest=digest,
            device=sub.device_id,
            key=sub.key_id,
            sig=b64url(sub.envelope.sig),
            pos=pos,
            items=links,
        )
        data = records.fast_canonical(rec)
        leaf = merkle.leaf_hash(data)
        leaves.append(leaf)
        hexleaf = leaf.hex()
        for item in items:
            heads[item] = (index, hexleaf)
        entry_rows.append((index, records.EVENT_KIND, leaf, data, when, sub.event_hash, digest))
        cols = records.event_columns(sub.event)
        etime = cols["event_time"]
        event_rows.append(
            (
                sub.event_hash,
                etime,
                cols["event_type"],
                cols["action"],
                cols["biz_step"],
                cols["disposition"],
                cols["read_point"],
                cols["biz_location"],
                sub.device_id,
                index,
                when,
                dumps(sub.event, ensure_ascii=False, separators=(",", ":")),
            )
        )
        base = index * EDGE_ID_STRIDE
        for j, e in enumerate(derive_edges(sub.event)):
            edge_rows.append((base + j, e.kind, e.src, e.dst, e.item, sub.event_hash, etime, index))
    done, _ = merkle.append_leaves(n0, store.frontier(session, n0), leaves)
    # step 5: bulk inserts
    bulk.insert(
        session,
        "ledger_envelope",
        ENVELOPE_COLS,
        [r for d, r in env_rows.items() if d not in stored],
    )
    bulk.insert(session, "ledger_entry", ENTRY_COLS, entry_rows)
    bulk.insert(session, "ledger_subtree", SUBTREE_COLS, done)
    bulk.insert(session, "ledger_item", ITEM_COLS, item_rows)
    bulk.insert(session, "event", EVENT_COLS, event_rows)
    bulk.insert(session, "trace_edge", EDGE_COLS, edge_rows)
    return results


def append_entry(
    session: Session, *, kind: str, body: dict[str, Any], recorded_at: datetime | None = None
) -> LedgerEntry:
    """Append one non-event entry (e.g. ``key.register``) in the caller's transaction."""
    store.lock(session)
    index = store.size(session)
    when = _now(recorded_at)
    rec = records.entry_record(
        index=index, recorded_at=records.format_time(when), kind=kind, body=body
    )
    data = records.record_bytes(rec)
    leaf = merkle.leaf_hash(data)
    done, _ = merkle.append_leaves(index, store.frontier(session, index), [leaf])
    bulk.insert(session, "ledger_entry", ENTRY_COLS, [(index, kind, leaf, data, when, None, None)])
    bulk.insert(session, "ledger_subtree", SUBTREE_COLS, done)
    return LedgerEntry(idx=index, kind=kind, leaf_hash=leaf, record=data, recorded_at=when)
