"""The ledger's append transaction: :func:`append_events` and :func:`append_entry`.

:func:`append_events` stages its submissions (:mod:`traceability.ledger.staging`: items, edges,
event columns, envelope digests; no database) and hands them to :func:`append_staged`, which
runs in the caller's transaction and:

1. takes the single-writer lock (``pg_advisory_xact_lock`` on PostgreSQL; on SQLite a write to
   ``ledger_lock`` first thing, which takes the database write lock), so that several gateway
   processes still build one log;
2. reads, in one round trip on PostgreSQL, the log size and last leaf, which event hashes are
   already in the ledger, the chain head of every touched item and which envelopes are stored;
   skips events already recorded (status ``duplicate`` with the existing index; a repeat inside
   the batch is a duplicate of its first occurrence);
3. stores each envelope once (``ledger_envelope``, keyed by the digest of its unsigned
   canonical bytes);
4. builds every custody record in Python (previous record of each touched item, canonical bytes,
   leaf hash), the Merkle subtrees each leaf completes (kept on the leaf's own row, ``nodes``;
   the frontier is cached per database while the log's size and last leaf are unchanged), the
   ``event`` rows and the ``trace_edge`` rows;
5. bulk-inserts them (one binary COPY per table on PostgreSQL) and returns one
   :class:`AppendResult` per submission.

:func:`append_entry` appends a non-event entry (device key lifecycle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.ledger import bulk, merkle, records, store
from traceability.ledger.errors import SubmissionError
from traceability.ledger.models import LedgerEntry, LedgerEnvelope, LedgerItem
from traceability.ledger.staging import StagedBatch, stage
from traceability.ledger.submission import AppendResult, EventSubmission
from traceability.trace.edges import EDGE_ID_STRIDE

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
_E = LedgerEntry.__table__  # type: ignore[attr-defined]
_V = LedgerEnvelope.__table__  # type: ignore[attr-defined]
_I = LedgerItem.__table__  # type: ignore[attr-defined]


@dataclass(slots=True)
class _State:
    """What an append needs to know first, read in one round trip on PostgreSQL."""

    size: int
    last: bytes | None  # leaf hash of entry size - 1
    existing: dict[str, int]  # event hash -> index
    heads: dict[str, tuple[int, str]]  # item -> (index, leaf hash hex) of its latest record
    envelopes: set[str]  # envelope digests already stored


_PG_LOOKUP = """
select 0, idx, leaf_hash, null::varchar from
  (select idx, leaf_hash from ledger_entry order by idx desc limit 1) last
union all
select 1, e.idx, null::bytea, e.event_hash
  from unnest(%(h)b::varchar[]) as q(h) join ledger_entry e on e.event_hash = q.h
union all
select 2, h.idx, e.leaf_hash, q.item
  from unnest(%(i)b::varchar[]) as q(item)
  cross join lateral (
    select idx from ledger_item where item = q.item order by idx desc limit 1
  ) h
  join ledger_entry e on e.idx = h.idx
union all
select 3, null::bigint, null::bytea, v.digest
  from unnest(%(d)b::varchar[]) as q(d) join ledger_envelope v on v.digest = q.d
"""


def _lookup(session: Session, hashes: list[str], items: list[str], digests: list[str]) -> _State:
    st = _State(0, None, {}, {}, set())
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur:
            cur.execute(_PG_LOOKUP, {"h": hashes, "i": items, "d": digests}, prepare=True)
            found = cur.fetchall()
    else:
        found = [
            (0, i, h, None)
            for i, h in conn.execute(
                sa.select(_E.c.idx, _E.c.leaf_hash).order_by(_E.c.idx.desc()).limit(1)
            )
        ]
        if hashes:
            found += [
                (1, i, None, h)
                for h, i in conn.execute(
                    sa.select(_E.c.event_hash, _E.c.idx).where(_E.c.event_hash.in_(hashes))
                )
            ]
        if items:
            latest = (
                sa.select(_I.c.item, sa.func.max(_I.c.idx).label("idx"))
                .where(_I.c.item.in_(items))
                .group_by(_I.c.item)
                .subquery()
            )
            found += [
                (2, i, h, it)
                for it, i, h in conn.execute(
                    sa.select(latest.c.item, latest.c.idx, _E.c.leaf_hash).join(
                        _E, _E.c.idx == latest.c.idx
                    )
                )
            ]
        if digests:
            found += [
                (3, None, None, d)
                for d in conn.execute(
                    sa.select(_V.c.digest).where(_V.c.digest.in_(digests))
                ).scalars()
            ]
    for kind, idx, leaf, text in found:
        if kind == 0:
            st.size, st.last = int(idx) + 1, bytes(leaf)
        elif kind == 1:
            st.existing[str(text)] = int(idx)
        elif kind == 2:
            st.heads[str(text)] = (int(idx), bytes(leaf).hex())
        else:
            st.envelopes.add(str(text))
    return st


# Frontier of the tree per database, reused while the log's (size, last leaf hash) read under the
# append lock still match; anything else (another process appended, a rollback) reloads it.
_FRONTIERS: dict[str, tuple[int, bytes | None, list[bytes]]] = {}


def _frontier(session: Session, size: int, last: bytes | None) -> tuple[str, list[bytes]]:
    conn = session.connection()
    key = conn.engine.url.render_as_string(hide_password=False)
    cached = _FRONTIERS.get(key)
    if cached is not None and cached[0] == size and cached[1] == last:
        return key, cached[2]
    return key, store.frontier(session, size)


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
    st = _lookup(
        session,
        list({sub.event_hash for sub in subs}),
        list({i for lst in batch.items for i in lst}),
        list(batch.envelopes),
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
    # step 3: envelopes, once each
    env_rows: dict[str, tuple[Any, ...]] = {}
    for k in fresh:
        digest = batch.digests[k]
        if digest not in st.envelopes and digest not in env_rows:
            device, key, sig, body, _b64 = batch.envelopes[digest]
            env_rows[digest] = (digest, device, key, sig, body)
    # step 4: records, leaves, events, edges
    heads = st.heads
    entry_rows: list[list[Any]] = []
    event_rows: list[tuple[Any, ...]] = []
    edge_rows: list[tuple[Any, ...]] = []
    item_rows: list[tuple[Any, ...]] = []
    leaves: list[bytes] = []
    sha = hashlib.sha256
    no_head = (records.NO_PREV, "")
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
        )
        leaf = sha(b"\x00" + data).digest()
        leaves.append(leaf)
        hexleaf = leaf.hex()
        for item in items:
            heads[item] = (index, hexleaf)
            item_rows.append((item, index))
        entry_rows.append(
            [index, records.EVENT_KIND, leaf, b"", data, when, sub.event_hash, digest]
        )
        cols = batch.columns[k]
        etime = cols[0]
        event_rows.append((sub.event_hash, *cols, sub.device_id, index, when, sub.event))
        base = index * EDGE_ID_STRIDE
        for j, (kind, src, dst, thing) in enumerate(batch.edges[k]):
            edge_rows.append((base + j, kind, src, dst, thing, sub.event_hash, etime, index))
    key, front = _frontier(session, n0, st.last)
    nodes, front = merkle.append_leaf_nodes(n0, front, leaves)
    for row, nd in zip(entry_rows, nodes, strict=True):
        row[3] = nd
    # step 5: bulk inserts (binary COPY on PostgreSQL)
    bulk.copy(session, "ledger_envelope", ENVELOPE_COLS, ENVELOPE_TYPES, list(env_rows.values()))
    bulk.copy(session, "ledger_entry", ENTRY_COLS, ENTRY_TYPES, entry_rows)
    bulk.copy(session, "ledger_item", ITEM_COLS, ITEM_TYPES, item_rows)
    bulk.copy(session, "event", EVENT_COLS, EVENT_TYPES, event_rows)
    bulk.copy(session, "trace_edge", EDGE_COLS, EDGE_TYPES, edge_rows)
    _FRONTIERS[key] = (n0 + len(leaves), leaves[-1], front)
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
    (nodes,), _ = merkle.append_leaf_nodes(index, store.frontier(session, index), [leaf])
    row = (index, kind, leaf, nodes, data, when, None, None)
    bulk.copy(session, "ledger_entry", ENTRY_COLS, ENTRY_TYPES, [row])
    return LedgerEntry(
        idx=index, kind=kind, leaf_hash=leaf, nodes=nodes, record=data, recorded_at=when
    )
