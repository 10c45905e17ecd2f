"""``tracectl verify``: recompute everything from the stored data, name the first failure.

The audit follows these numbered steps (the code marks each one):

1. Entries are read in index order, in chunks. Indexes must run 0..n-1 without a gap.
2. Each record must be canonical (re-serialising it gives the stored bytes), its leaf hash must be
   SHA-256(0x00 || record), its ``index`` must equal its position, and the entry's columns
   (kind, recorded_at, event_hash, envelope) must equal the record's values.
3. Key entries are replayed in log order into the key state each later record is judged by.
4. For event records: the envelope (stored once) must hash to the committed digest, its
   ``device``/``key``/``sig`` columns must equal the record's; the event is ``events[pos]``; its
   CBV 2.0 event hash (``traceability.events.event_hash`` of the event as stored in the
   envelope) must equal the record's ``event_hash`` (and the ``event`` row's, step 6); an
   (envelope, pos) pair and an event hash may each be recorded once; the device signature
   must verify over the envelope with the key valid (per the key entries before the record)
   at ``recorded_at``.
   Signatures are checked in parallel across the cores.
5. Item chains: the record's items must be exactly the items the event touches (version 1:
   as the event writes them; version 2: by their one key, ``events.item_key``), and each
   item's ``prev``/``prev_hash`` must be the index and leaf hash of the item's previous record.
6. Derived rows: the ``event`` row (every column and the body), the ``trace_edge`` rows
   (``trace.edges.derive_edges``, ids included) and ``ledger_item`` rows of each record must
   equal what the record implies; rows no record implies are failures too.
7. Merkle: the subtrees each leaf completes are recomputed from the leaves and must equal the
   entry's stored ``nodes`` (none missing, modified or extra).
8. Checkpoints (:mod:`traceability.ledger.audit.checkpoints`): every stored one must carry a
   valid signature by the log key, its row's ``root`` must be the signed root and that root
   the recomputed root at its size; the log must not be smaller than the largest size ever
   signed (checkpoint rows, stored cosignatures, the signer's state file, the witnesses when
   configured), and no checkpoint row the signer state or a cosignature names may be missing.
   Every ``device_key`` row must equal the state the key entries produce.
9. Recalls (:mod:`traceability.ledger.audit.recall`): recall rows and lots' recalled flags
   against the ledgered recall events.
10. Registry rows that carry authority (:mod:`traceability.ledger.audit.registry`): every
    ``registry.*`` entry's platform signature, then each device's location/party/status, each
    product's owner and each party's credit status against the latest entry of its subject.

Every parse is total: a record, key entry, time or row the audit cannot read is a failure at
its index and step ("record cannot be checked", "key entry ..."), never a crash.

Steps 2, 4, 5 and 6 only need a chunk's own rows: on PostgreSQL the chunks are read and checked
by a pool of processes (one per core, each with its own connection), and this process keeps
what is sequential (index continuity, the Merkle tree, key state, the once-only envelope
positions, the item chains) and then verifies the signatures, unique ones only, across the
cores.

The result lists failures (index, step, what was expected and what was found), first first.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.events.edges import EDGE_ID_STRIDE
from traceability.ledger import merkle, note, records
from traceability.ledger.audit.checkpoints import StoredCheckpoints, check_checkpoints
from traceability.ledger.audit.chunk import Chunk, check_chunk, chunk_worker
from traceability.ledger.audit.keys import KeyState, check_device_keys
from traceability.ledger.audit.recall import check_recalls
from traceability.ledger.audit.registry import RegistryState, check_registry
from traceability.ledger.audit.report import AuditReport, StopAuditError, order
from traceability.ledger.errors import AuditError
from traceability.ledger.keyfile import SignerState
from traceability.signing.ed25519 import verify

__all__ = ["CHUNK", "MAX_FAILURES", "AuditReport", "audit"]

CHUNK = 10_000
MAX_FAILURES = 50


def _verify_batch(tasks: list[tuple[bytes, bytes, bytes]]) -> list[bool]:
    return [verify(public_key=k, message=m, signature=s) for k, m, s in tasks]


@functools.lru_cache(maxsize=1 << 16)
def _parse_time(text: str) -> Any:
    """The record's ``recorded_at`` as a datetime, or None when it is no time."""
    try:
        return records.parse_time(text)
    except ValueError:
        return None


def _chunks(
    session: Session, top: int, chunk: int, processes: int | None
) -> Iterator[tuple[int, Chunk]]:
    """Each chunk's :func:`check_chunk` result, in order; across processes on PostgreSQL."""
    bounds = list(range(0, max(top, 1), chunk))
    conn = session.connection()
    procs = min(processes or os.cpu_count() or 1, len(bounds))
    if procs < 2 or conn.dialect.name != "postgresql":
        for lo in bounds:
            yield lo + chunk, check_chunk(conn, lo, lo + chunk)
        return
    url = conn.engine.url.render_as_string(hide_password=False)
    tasks = [(url, lo, lo + chunk) for lo in bounds]
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        for (_, _, hi), res in zip(tasks, pool.imap(chunk_worker, tasks), strict=True):
            yield hi, res


def audit(
    session: Session,
    *,
    log_key: note.Verifier | None = None,
    signed: SignerState | None = None,
    witnessed: dict[str, int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    processes: int | None = None,
    chunk: int = CHUNK,
) -> AuditReport:
    rep = AuditReport()
    conn = session.connection()
    n = int(conn.execute(sa.text("select count(*) from ledger_entry")).scalar() or 0)
    rep.size = n
    top = int(
        conn.execute(sa.text("select coalesce(max(idx) + 1, 0) from ledger_entry")).scalar() or 0
    )

    def fail(step: int, index: int | None, what: str, expected: Any, found: Any) -> None:
        rep.failures.append(
            AuditError(
                f"step {step}: {what}",
                field=f"step{step}",
                index=index,
                expected=expected,
                computed=found,
            )
        )
        if len(rep.failures) >= MAX_FAILURES:
            raise StopAuditError

    keys = KeyState()
    registry = RegistryState()
    heads: dict[str, tuple[int, str]] = {}
    used: set[tuple[str, int]] = set()
    frontier: list[bytes] = []
    cps = StoredCheckpoints(conn, signed)
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
    sig_tasks: list[tuple[bytes, bytes, bytes]] = []
    sig_index: list[int] = []
    try:
        expect = count = items = 0
        for hi, part in _chunks(session, top, chunk, processes):
            items += part.items
            for f in part.fails:
                fail(*f)
            for idx, got, stored_nodes, key_rec, ev in part.recs:
                # step 1
                if idx != expect:
                    fail(1, expect, "ledger index missing", expect, idx)
                    expect = idx
                expect += 1
                # step 7
                (done,), frontier = merkle.append_leaf_nodes(count, frontier, [got])
                count += 1
                if done != stored_nodes:
                    fail(7, idx, "stored subtree hashes (nodes)", done.hex(), stored_nodes.hex())
                if count in cps.sizes:
                    roots[count] = merkle.fold(frontier)
                if key_rec is not None:
                    why = keys.apply(key_rec)  # step 3
                    if why is not None:
                        fail(
                            3, idx, f"key entry: {why}", "a readable key entry", key_rec.get("kind")
                        )
                    registry.apply(idx, key_rec, keys, fail)  # step 10: signature, latest
                    continue
                if ev is None:
                    continue
                # step 4: once only, and the key valid at recording time
                digest, pos, device, key, recorded_at, sig, links = ev
                if (digest, pos) in used:
                    fail(4, idx, "event recorded twice", "once", f"{digest}#{pos}")
                used.add((digest, pos))
                when = _parse_time(recorded_at)
                pub = None if when is None else keys.valid_key(device, key, when)
                if when is None:
                    fail(4, idx, "recorded_at is not a time", "RFC 3339", recorded_at)
                elif pub is None:
                    fail(4, idx, "no valid device key at recording time", key, None)
                else:
                    sig_tasks.append((pub, part.bodies[digest], sig))
                    sig_index.append(idx)
                # step 5: the item chains
                hexleaf = got.hex()
                for item, prev, prev_hash in links:
                    want_prev = heads.get(item, (records.NO_PREV, ""))
                    if (prev, prev_hash) != want_prev:
                        fail(5, idx, f"chain link of {item}", want_prev, (prev, prev_hash))
                    heads[str(item)] = (idx, hexleaf)
            if progress:
                progress(min(hi, n), n)
        for bad in _bad_signatures(sig_tasks, sig_index, processes):
            fail(4, bad, "device signature does not verify", "valid signature", "invalid")
        rep.signatures_checked = len(sig_tasks)
        _check_twice(session, fail)  # step 4: an event hash recorded once
        _check_stray(session, fail, n)
        stored = int(conn.execute(sa.text("select count(*) from ledger_item")).scalar() or 0)
        if stored != items:
            at = _item_mismatch(session)
            fail(6, at, "ledger_item rows no record implies", items, stored)
        rep.checkpoint_size = check_checkpoints(  # step 8
            fail, cps, roots, n, log_key, witnessed or {}
        )
        check_device_keys(session, keys, fail)
        check_recalls(session, fail)  # step 9: recall rows and lot flags vs the ledger
        check_registry(session, registry, fail)  # step 10: authority-carrying registry rows
    except StopAuditError:
        pass
    rep.failures.sort(key=order)
    return rep


def _bad_signatures(
    tasks: list[tuple[bytes, bytes, bytes]], index: list[int], processes: int | None
) -> list[int]:
    unique: dict[tuple[bytes, bytes, bytes], bool] = dict.fromkeys(tasks, False)
    work = list(unique)
    procs = processes or os.cpu_count() or 1
    if len(work) > 2000 and procs > 1:
        size = max(1, len(work) // (procs * 4))
        chunks = [work[i : i + size] for i in range(0, len(work), size)]
        with multiprocessing.get_context("fork").Pool(procs) as pool:
            results = [ok for part in pool.map(_verify_batch, chunks) for ok in part]
    else:
        results = _verify_batch(work)
    unique.update(zip(work, results, strict=True))
    return [i for t, i in zip(tasks, index, strict=True) if not unique[t]]


def _check_twice(session: Session, fail: Any) -> None:
    """Step 4: no event hash in two records (the column equals the record's, step 2). On
    PostgreSQL no unique index stands behind this (migration 0005): the append checks under
    its lock, and this is what catches a log where that was bypassed."""
    twice = session.connection().execute(
        sa.text(
            "select event_hash, min(idx), max(idx) from ledger_entry "
            "where event_hash is not null group by event_hash having count(*) > 1 "
            "order by 2 limit :k"
        ),
        {"k": MAX_FAILURES},
    )
    for event_hash, first, later in twice:
        fail(4, int(later), f"event {event_hash} recorded twice", f"once (at {first})", later)


def _item_mismatch(session: Session) -> int | None:
    """Step 6, only when the ``ledger_item`` total is off: the first index whose row count is
    not its record's item count (on PostgreSQL the chunks read only the rows of the items their
    records touch, so an added row of another item shows only in the total)."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return None
    try:
        with conn.begin_nested():
            found = conn.execute(
                sa.text(
                    "select coalesce(r.idx, e.idx) from "
                    "(select idx, count(*) as c from ledger_item group by idx) r full join "
                    "(select idx, jsonb_array_length(convert_from(record, 'UTF8')::jsonb "
                    "-> 'items') as c from ledger_entry where kind = 'event') e "
                    "on r.idx = e.idx where coalesce(r.c, 0) <> coalesce(e.c, 0) "
                    "order by 1 limit 1"
                )
            ).scalar()
    except sa.exc.DBAPIError:  # a record that is not JSON: it is named at step 2
        return None
    return None if found is None else int(found)


def _check_stray(session: Session, fail: Any, n: int) -> None:
    conn = session.connection()
    for table, col, scale in (
        ("event", "ledger_index", 1),
        ("trace_edge", "ledger_index", 1),
        ("trace_edge", "id", EDGE_ID_STRIDE),
        ("ledger_item", "idx", 1),
    ):
        bad = conn.execute(
            sa.text(f"select min({col}) from {table} where {col} >= :n or {col} < 0"),
            {"n": n * scale},
        ).scalar()
        if bad is not None:
            fail(6, int(bad) // scale, f"{table} row beyond the log", f"< {n}", int(bad) // scale)
