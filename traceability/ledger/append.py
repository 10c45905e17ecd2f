"""The ledger's append transaction: :func:`append_events` and :func:`append_entry`.

:func:`append_events` stages its submissions (:mod:`traceability.ledger.staging`: items, edges,
event columns, envelope digests; no database) and hands them to :func:`append_staged`, which
runs in the caller's transaction and:

1. takes the single-writer lock (``pg_advisory_xact_lock`` on PostgreSQL; on SQLite a write to
   ``ledger_lock`` first thing, which takes the database write lock), so that several gateway
   processes still build one log;
2. reads the log's size and last leaf, which events are already recorded, the chain head of
   every touched item and which envelopes are stored (:mod:`traceability.ledger.log_state`: one
   round trip on PostgreSQL, item heads cached while no other writer appends); skips events
   already recorded (status ``duplicate`` with the existing index; a repeat inside
   the batch is a duplicate of its first occurrence);
3. stores each envelope once (``ledger_envelope``, keyed by the digest of its unsigned
   canonical bytes);
4. builds every custody record in Python (version 2: items by their one key, as staged;
   previous record of each touched item, canonical bytes,
   leaf hash), the Merkle subtrees each leaf completes (kept on the leaf's own row, ``nodes``;
   the frontier is cached with the item heads), the ``event`` rows and the ``trace_edge`` rows;
5. bulk-inserts them (one binary COPY per table on PostgreSQL; the records are built while
   their COPY is sent, so the server inserts the first while Python builds the next) and
   returns one :class:`AppendResult` per submission. (Measured with ``bench.ledger`` and
   ``bench.ingest``: sending every table as an unnest INSERT in pipeline mode, built before
   the records, gave the same appends/s for more CPU, and a slower gateway.)

:func:`append_entry` appends a non-event entry (device key lifecycle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from traceability.events.edges import EDGE_ID_STRIDE
from traceability.ledger import bulk, log_state, merkle, records, store
from traceability.ledger.errors import SubmissionError
from traceability.ledger.models import LedgerEntry
from traceability.ledger.staging import StagedBatch, stage
from traceability.ledger.submission import AppendResult, EventSubmission

__all__ = ["append_entry", "append_events", "append_staged"]

ENTRY_COLS = (
    "idx",
    "kind",
    "leaf_hash",
    "nodes",
    "record",
    "recorded_at",
    "event_hash",
    "envelope",
)
ENTRY_TYPES = ("bigint", "varchar", "bytea", "bytea", "bytea", "timestamptz", "varchar", "varchar")
ENVELOPE_COLS = ("digest", "device_id", "key_id", "sig", "body")
ENVELOPE_TYPES = ("varchar", "varchar", "varchar", "bytea", "bytea")
ITEM_COLS = ("item", "idx")
ITEM_TYPES = ("varchar", "bigint")
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
EVENT_TYPES = (
    "varchar",
    "timestamptz",
    *(["varchar"] * 7),
    "bigint",
    "timestamptz",
    "jsonb",
)
EDGE_COLS = ("id", "kind", "src", "dst", "item", "event_hash", "event_time", "ledger_index")
EDGE_TYPES = ("bigint", *(["varchar"] * 5), "timestamptz", "bigint")


def _now(at: datetime | None) -> datetime:
    when = at or datetime.now(UTC)
    if when.tzinfo is None:
        raise SubmissionError("recorded_at must be timezone-aware", field="recorded_at")
    return when.astimezone(UTC)


def append_events(
    session: Session, *, submissions: Sequence[EventSubmission], recorded_at: datetime | None = None
) -> list[AppendResult]:
    """Record events in the caller's transaction: :func:`stage` then :func:`append_staged`."""
    if not submissions:
        return []
    return append_staged(session, batch=stage(submissions), recorded_at=recorded_at)


def append_staged(
    session: Session, *, batch: StagedBatch, recorded_at: datetime | None = None
) -> list[AppendResult]:
    """Record a staged batch in the caller's transaction; see the module docstring."""
    subs = batch.submissions
    if not subs:
        return []
    store.lock(session)  # step 1
    when = _now(recorded_at)
    stamp = records.format_time(when)
    st = log_state.read(
        session,
        events=list({sub.event_hash: None for sub in subs}),
        items=(i for lst in batch.items for i in lst),
        digests=list(batch.envelopes),
    )
    n0 = st.size
    seen = st.existing  # step 2
    results: list[AppendResult] = []
    fresh: list[int] = []  # positions in the batch of the events to append
    for k, sub in enumerate(subs):
        if sub.event_hash in seen:
            results.append(AppendResult(sub.event_hash, "duplicate", seen[sub.event_hash]))
            continue
        index = n0 + len(fresh)
        seen[sub.event_hash] = index
        fresh.append(k)
        results.append(AppendResult(sub.event_hash, "appended", index))
    if not fresh:
        return results
    _write(session, batch, st, fresh, n0, when, stamp)
    return results


def _write(
    session: Session,
    batch: StagedBatch,
    st: log_state.LogState,
    fresh: list[int],
    n0: int,
    when: datetime,
    stamp: str,
) -> None:
    """Steps 3-5 for the events at batch positions ``fresh`` (indexes from ``n0`` on)."""
    subs = batch.submissions
    # step 3: envelopes, once each
    env_rows: dict[str, tuple[Any, ...]] = {}
    for k in fresh:
        digest = batch.digests[k]
        if digest not in st.envelopes and digest not in env_rows:
            device, key, sig, body, _b64 = batch.envelopes[digest]
            env_rows[digest] = (digest, device, key, sig, body)
    bulk.copy(session, "ledger_envelope", ENVELOPE_COLS, ENVELOPE_TYPES, list(env_rows.values()))
    # step 4: each record, its leaf and the subtrees it completes, built while the COPY of the
    # ones before it is being inserted by the server (bulk.copy_stream)
    heads = st.heads
    item_rows: list[tuple[Any, ...]] = []
    frontier = list(log_state.frontier(session, st))
    last = b""

    def entries() -> Iterator[list[Any]]:
        nonlocal frontier, last
        sha = hashlib.sha256
        no_head = (records.NO_PREV, "")
        version = records.EVENT_RECORD_VERSION  # items keyed as staging keyed them
        for index, k in enumerate(fresh, start=n0):
            sub = subs[k]
            items = batch.items[k]
            digest = batch.digests[k]
            data = records.event_record_bytes(
                index=index,
                recorded_at=stamp,
                event_hash=sub.event_hash,
                envelope_digest=digest,
                device=sub.device_id,
                key=sub.key_id,
                sig=batch.envelopes[digest][4],
                pos=batch.positions[k],
                items=[(item, *heads.get(item, no_head)) for item in items],
                v=version,
            )
            last = leaf = sha(b"\x00" + data).digest()
            hexleaf = leaf.hex()
            for item in items:
                heads[item] = (index, hexleaf)
                item_rows.append((item, index))
            (nodes,), frontier = merkle.append_leaf_nodes(index, frontier, [leaf])
            yield [index, records.EVENT_KIND, leaf, nodes, data, when, sub.event_hash, digest]

    # step 5: the rows
    bulk.copy_stream(session, "ledger_entry", ENTRY_COLS, ENTRY_TYPES, entries(), len(fresh))
    bulk.copy(session, "ledger_item", ITEM_COLS, ITEM_TYPES, item_rows)
    event_rows: list[tuple[Any, ...]] = []
    edge_rows: list[tuple[Any, ...]] = []
    for index, k in enumerate(fresh, start=n0):
        sub = subs[k]
        cols = batch.columns[k]
        etime = cols[0]
        event_rows.append((sub.event_hash, *cols, sub.device_id, index, when, sub.event))
        base = index * EDGE_ID_STRIDE
        for j, (kind, src, dst, thing) in enumerate(batch.edges[k]):
            edge_rows.append((base + j, kind, src, dst, thing, sub.event_hash, etime, index))
    bulk.copy(session, "event", EVENT_COLS, EVENT_TYPES, event_rows)
    bulk.copy(session, "trace_edge", EDGE_COLS, EDGE_TYPES, edge_rows)
    size = n0 + len(fresh)
    log_state.remember(session, size=size, last=last, frontier=frontier, heads=heads)


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
    (nodes,), _ = merkle.append_leaf_nodes(index, store.frontier(session, index), [leaf])
    row = (index, kind, leaf, nodes, data, when, None, None)
    bulk.copy(session, "ledger_entry", ENTRY_COLS, ENTRY_TYPES, [row])
    return LedgerEntry(
        idx=index, kind=kind, leaf_hash=leaf, nodes=nodes, record=data, recorded_at=when
    )
