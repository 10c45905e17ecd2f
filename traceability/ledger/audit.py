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
   envelope) must equal the record's ``event_hash`` (and the ``event`` row's key, step 6); an
   (envelope, pos) pair may be recorded once; the device signature must verify over the
   envelope with the key valid (per the key entries before the record) at ``recorded_at``.
   Signatures are checked in parallel across the cores.
5. Item chains: the record's items must be exactly the items the event touches, and each
   item's ``prev``/``prev_hash`` must be the index and leaf hash of the item's previous record.
6. Derived rows: the ``event`` row (every column and the body), the ``trace_edge`` rows
   (``trace.edges.derive_edges``, ids included) and ``ledger_item`` rows of each record must
   equal what the record implies; rows no record implies are failures too.
7. Merkle: the subtrees each leaf completes are recomputed from the leaves and must equal the
   entry's stored ``nodes`` (none missing, modified or extra).
8. Checkpoints: each must carry a valid signature by the log key and its root must equal the
   recomputed root at its size; the latest must not exceed the log. Every ``device_key`` row
   must equal the state the key entries produce.

Steps 2, 4, 5 and 6 only need a chunk's own rows: on PostgreSQL the chunks are read and checked
by a pool of processes (one per core, each with its own connection), and this process keeps
what is sequential (index continuity, the Merkle tree, key state, the once-only envelope
positions, the item chains) and then verifies the signatures, unique ones only, across the
cores.

The result lists failures (index, step, what was expected and what was found), first first.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session

from traceability.events import event_hash
from traceability.ledger import merkle, note, records
from traceability.ledger.audit_keys import KeyState, check_device_keys
from traceability.ledger.checkpoint import parse as parse_checkpoint
from traceability.ledger.errors import AuditError
from traceability.signing.service import b64url_decode, verify
from traceability.trace.edges import EDGE_ID_STRIDE, derive_edges, items_of

CHUNK = 10_000
MAX_FAILURES = 50


@dataclass
class AuditReport:
    size: int = 0
    checkpoint_size: int | None = None
    signatures_checked: int = 0
    failures: list[AuditError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        first = min(self.failures, key=lambda f: (f.index is None, f.index or 0), default=None)
        return {
            "ok": self.ok,
            "size": self.size,
            "checkpoint_size": self.checkpoint_size,
            "signatures_checked": self.signatures_checked,
            "first_failure": first.to_dict() if first else None,
            "failures": [f.to_dict() for f in self.failures],
        }


class _StopAuditError(Exception):
    pass


def _verify_batch(tasks: list[tuple[bytes, bytes, bytes]]) -> list[bool]:
    return [verify(public_key=k, message=m, signature=s) for k, m, s in tasks]


@functools.lru_cache(maxsize=1 << 16)
def _time(v: Any) -> str:
    if isinstance(v, str):  # SQLite text
        v = records.parse_time(v.replace(" ", "T") + ("" if "+" in v else "Z"))
    return records.format_time(v)


def _parse_record(data: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return records.parse_record(data)
    return doc if isinstance(doc, dict) else records.parse_record(data)


_parse_time = functools.lru_cache(maxsize=1 << 16)(records.parse_time)
_EVENT_KEYS = (
    "device",
    "envelope",
    "event_hash",
    "index",
    "items",
    "key",
    "kind",
    "pos",
    "recorded_at",
    "sig",
    "v",
)
_LINK_KEYS = ("item", "prev", "prev_hash")


def _canonical(rec: dict[str, Any]) -> bytes:
    """The record's RFC 8785 bytes: written directly for the event shape, else the general way."""
    if tuple(rec) == _EVENT_KEYS and rec["kind"] == records.EVENT_KIND and rec["v"] == 1:
        s, i, links = str, int, rec["items"]
        if (
            all(type(rec[k]) is s for k in ("device", "envelope", "event_hash", "key", "sig"))
            and type(rec["recorded_at"]) is s
            and type(rec["index"]) is i
            and type(rec["pos"]) is i
            and type(links) is list
            and all(
                type(lk) is dict
                and tuple(lk) == _LINK_KEYS
                and type(lk["item"]) is s
                and type(lk["prev"]) is i
                and type(lk["prev_hash"]) is s
                for lk in links
            )
            and abs(rec["index"]) < 2**53
            and abs(rec["pos"]) < 2**53
            and all(abs(lk["prev"]) < 2**53 for lk in links)
        ):
            return records.event_record_bytes(
                index=rec["index"],
                recorded_at=rec["recorded_at"],
                event_hash=rec["event_hash"],
                envelope_digest=rec["envelope"],
                device=rec["device"],
                key=rec["key"],
                sig=rec["sig"],
                pos=rec["pos"],
                items=[(lk["item"], lk["prev"], lk["prev_hash"]) for lk in links],
            )
    return records.record_bytes(rec)


Fail = tuple[int, int | None, str, Any, Any]  # step, index, what, expected, found


@dataclass
class _Chunk:
    """What one chunk of entries [lo, hi) gives the sequential part of the audit.

    ``recs``: per entry in index order ``(idx, leaf, nodes, key_record, event)`` where ``leaf`` is
    the recomputed leaf hash, ``key_record`` the parsed record of a non-event entry (else None)
    and ``event`` is ``(digest, pos, device, key, recorded_at, sig, links)`` for an event record
    whose envelope and position check out (else None). ``bodies``: envelope bodies by digest.
    """

    fails: list[Fail] = field(default_factory=list)
    recs: list[tuple[Any, ...]] = field(default_factory=list)
    bodies: dict[str, bytes] = field(default_factory=dict)
    items: int = 0  # ledger_item rows the chunk's records imply


def _check_chunk(conn: sa.Connection, lo: int, hi: int) -> _Chunk:
    """Steps 2, 4 (but the once-only and key checks), 5 (items touched) and 6 of [lo, hi).

    Everything here depends on the chunk's own rows only, so chunks run in parallel."""
    out = _Chunk()
    fail = out.fails.append

    def rows(sql: str, a: int, b: int) -> list[Any]:
        return list(conn.execute(sa.text(sql), {"lo": a, "hi": b}).all())

    entries = rows(
        "select idx, kind, leaf_hash, record, recorded_at, event_hash, envelope, nodes "
        "from ledger_entry where idx >= :lo and idx < :hi order by idx",
        lo,
        hi,
    )
    digests = sorted({str(e[6]) for e in entries if e[6]})
    envs = (
        {
            str(r[0]): r
            for r in conn.execute(
                sa.text(
                    "select digest, device_id, key_id, sig, body from ledger_envelope "
                    "where digest in :d"
                ).bindparams(sa.bindparam("d", expanding=True)),
                {"d": digests},
            )
        }
        if digests
        else {}
    )
    parsed_env: dict[str, list[Any]] = {}
    ev_rows = {
        int(r[9]): r
        for r in rows(
            "select event_hash, event_time, event_type, action, biz_step, disposition, "
            "read_point, biz_location, device_id, ledger_index, recorded_at, body from event "
            "where ledger_index >= :lo and ledger_index < :hi",
            lo,
            hi,
        )
    }
    edges: dict[int, list[tuple[Any, ...]]] = {}
    for r in rows(
        "select id, kind, src, dst, item, event_hash, event_time, ledger_index from trace_edge "
        "where id >= :lo and id < :hi order by id",
        lo * EDGE_ID_STRIDE,
        hi * EDGE_ID_STRIDE,
    ):
        edges.setdefault(int(r[0]) // EDGE_ID_STRIDE, []).append(
            (int(r[0]), r[1], r[2], r[3], r[4], r[5], _time(r[6]), int(r[7]))
        )
    want_items: dict[int, set[str]] = {}
    for idx, kind, leaf, data, rec_at, ev_hash, env, stored_nodes in entries:
        idx, data, leaf = int(idx), bytes(data), bytes(leaf)
        # step 2
        rec = _parse_record(data)
        if _canonical(rec) != data:
            fail((2, idx, "record bytes are not canonical", "RFC 8785", "other bytes"))
        got = merkle.leaf_hash(data)
        if got != leaf:
            fail((2, idx, "leaf hash", got, leaf))
        if rec.get("index") != idx:
            fail((2, idx, "record index", idx, rec.get("index")))
        cols = (kind, _time(rec_at), ev_hash, env)
        want = (rec.get("kind"), rec.get("recorded_at"), rec.get("event_hash"), rec.get("envelope"))
        if cols != want:
            fail((2, idx, "entry columns", want, cols))
        if rec.get("kind") != records.EVENT_KIND:
            out.recs.append((idx, got, bytes(stored_nodes), rec, None))
            if ev_rows.pop(idx, None) or edges.pop(idx, None):
                fail((6, idx, "derived rows for a non-event entry", "none", "rows"))
            continue
        # step 4
        digest = str(rec.get("envelope"))
        row = envs.get(digest)
        event_info = None
        if row is None:
            fail((4, idx, "envelope missing", digest, None))
        else:
            body = bytes(row[4])
            if digest not in parsed_env:
                actual = hashlib.sha256(body).hexdigest()
                if actual != digest:
                    fail((4, idx, "envelope digest", digest, actual))
                parsed_env[digest] = json.loads(body).get("events", [])
                out.bodies[digest] = body
            sig = b64url_decode(str(rec.get("sig")))
            if (row[1], row[2], bytes(row[3])) != (rec.get("device"), rec.get("key"), sig):
                fail((4, idx, "envelope device/key/sig", rec.get("key"), row[2]))
            events = parsed_env[digest]
            pos = rec.get("pos")
            if not isinstance(pos, int) or not 0 <= pos < len(events):
                fail((4, idx, "event position", f"< {len(events)}", pos))
            else:
                event = events[pos]
                computed, committed = _event_hash(event), rec.get("event_hash")
                if computed != committed:
                    fail((4, idx, "event hash of the envelope's event", committed, computed))
                links = rec.get("items") or []
                names = [lk.get("item") for lk in links]
                event_info = (
                    digest,
                    pos,
                    str(rec.get("device")),
                    str(rec.get("key")),
                    str(rec.get("recorded_at")),
                    sig,
                    [(lk.get("item"), lk.get("prev"), lk.get("prev_hash")) for lk in links],
                )
                # step 5 (the items; the links are checked in order by the caller)
                touched = items_of(event)
                if names != touched:
                    fail((5, idx, "items touched", touched, names))
                # step 6
                _check_event_row(fail, idx, rec, event, ev_rows.pop(idx, None), computed)
                want_edges = [
                    (
                        idx * EDGE_ID_STRIDE + j,
                        e.kind,
                        e.src,
                        e.dst,
                        e.item,
                        rec.get("event_hash"),
                        _event_time(event),
                        idx,
                    )
                    for j, e in enumerate(derive_edges(event))
                ]
                if edges.pop(idx, []) != want_edges:
                    fail((6, idx, "trace edges", len(want_edges), "different rows"))
                want_items[idx] = {str(x) for x in names}
        out.recs.append((idx, got, bytes(stored_nodes), None, event_info))
    item_rows = _item_rows(conn, lo, hi, want_items)
    for idx in sorted({*want_items, *item_rows}):
        if item_rows.get(idx, set()) != want_items.get(idx, set()):
            fail((6, idx, "ledger_item rows", sorted(want_items.get(idx, ())), "different rows"))
    out.items = sum(len(v) for v in want_items.values())
    for extra in sorted({*ev_rows, *edges}):
        fail((6, extra, "derived rows without a record", None, extra))
    return out


def _item_rows(
    conn: sa.Connection, lo: int, hi: int, want: dict[int, set[str]]
) -> dict[int, set[str]]:
    """The chunk's ``ledger_item`` rows: on PostgreSQL only those of the items its records touch,
    through the (item, idx) key (rows of other items are caught by the total count)."""
    if conn.dialect.name == "postgresql":
        names = sorted({x for v in want.values() for x in v})
        found = conn.execute(
            sa.text(
                "select item, idx from ledger_item where item = any(:names) "
                "and idx >= :lo and idx < :hi"
            ),
            {"names": names, "lo": lo, "hi": hi},
        )
    else:
        found = conn.execute(
            sa.text("select item, idx from ledger_item where idx >= :lo and idx < :hi"),
            {"lo": lo, "hi": hi},
        )
    out: dict[int, set[str]] = {}
    for it, ix in found:
        out.setdefault(int(ix), set()).add(str(it))
    return out


_WORKER_ENGINE: list[sa.Engine] = []


def _chunk_worker(task: tuple[str, int, int]) -> _Chunk:
    url, lo, hi = task
    if not _WORKER_ENGINE:
        from traceability.store.service import create_engine

        _WORKER_ENGINE.append(create_engine(url=url, poolclass=sa.pool.NullPool))
    with _WORKER_ENGINE[0].connect() as conn:
        return _check_chunk(conn, lo, hi)


def _chunks(
    session: Session, top: int, chunk: int, processes: int | None
) -> Iterator[tuple[int, _Chunk]]:
    """Each chunk's :func:`_check_chunk` result, in order; across processes on PostgreSQL."""
    bounds = list(range(0, max(top, 1), chunk))
    conn = session.connection()
    procs = min(processes or os.cpu_count() or 1, len(bounds))
    if procs < 2 or conn.dialect.name != "postgresql":
        for lo in bounds:
            yield lo + chunk, _check_chunk(conn, lo, lo + chunk)
        return
    url = conn.engine.url.render_as_string(hide_password=False)
    tasks = [(url, lo, lo + chunk) for lo in bounds]
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        for (_, _, hi), res in zip(tasks, pool.imap(_chunk_worker, tasks), strict=True):
            yield hi, res


def audit(
    session: Session,
    *,
    log_key: note.Verifier | None = None,
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
            raise _StopAuditError

    keys = KeyState()
    heads: dict[str, tuple[int, str]] = {}
    used: set[tuple[str, int]] = set()
    frontier: list[bytes] = []
    cps = {
        int(s): nt
        for s, nt in conn.execute(sa.text("select size, note from ledger_checkpoint order by size"))
    }
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT} if 0 in cps else {}
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
                if count in cps:
                    roots[count] = merkle.fold(frontier)
                if key_rec is not None:
                    keys.apply(key_rec)  # step 3
                    continue
                if ev is None:
                    continue
                # step 4: once only, and the key valid at recording time
                digest, pos, device, key, recorded_at, sig, links = ev
                if (digest, pos) in used:
                    fail(4, idx, "event recorded twice", "once", f"{digest}#{pos}")
                used.add((digest, pos))
                pub = keys.valid_key(device, key, _parse_time(recorded_at))
                if pub is None:
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
        _check_stray(session, fail, n)
        stored = int(conn.execute(sa.text("select count(*) from ledger_item")).scalar() or 0)
        if stored != items:
            fail(6, None, "ledger_item rows no record implies", items, stored)
        _check_checkpoints(fail, cps, roots, n, log_key, rep)  # step 8
        check_device_keys(session, keys, fail)
    except _StopAuditError:
        pass
    rep.failures.sort(key=lambda f: (f.index is None, f.index or 0))
    return rep


def _event_time(event: dict[str, Any]) -> str:
    return _time(records.event_time(event))


def _event_hash(event: Any) -> str:
    """The CBV 2.0 event hash of ``event`` (about 16-30 µs), or why there is none."""
    try:
        return event_hash(event)
    except Exception as exc:  # a body the hash cannot be computed from is a failure, not a crash
        return f"no event hash: {type(exc).__name__}: {exc}"


def _check_event_row(
    fail: Any, idx: int, rec: dict[str, Any], event: dict[str, Any], row: Any, computed: str
) -> None:
    if row is None:
        fail((6, idx, "event row missing", rec.get("event_hash"), None))
        return
    if row[0] != computed:
        fail((6, idx, "event row key (the event's hash)", computed, row[0]))
    cols = records.event_columns(event)
    want = (
        rec.get("event_hash"),
        _time(cols["event_time"]),
        cols["event_type"],
        cols["action"],
        cols["biz_step"],
        cols["disposition"],
        cols["read_point"],
        cols["biz_location"],
        rec.get("device"),
        idx,
        rec.get("recorded_at"),
    )
    body = row[11] if isinstance(row[11], dict) else json.loads(row[11])
    got = (row[0], _time(row[1]), *row[2:9], int(row[9]), _time(row[10]))
    if got != want:
        fail((6, idx, "event row columns", want, got))
    if body != event:
        fail((6, idx, "event row body", "the signed event", "a different body"))


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


def _check_checkpoints(
    fail: Any,
    cps: dict[int, str],
    roots: dict[int, bytes],
    n: int,
    log_key: note.Verifier | None,
    rep: AuditReport,
) -> None:
    for size, text in cps.items():
        try:
            cp = parse_checkpoint(text)
            if log_key is not None:
                note.verified_by(text, log_key)
        except Exception as exc:
            fail(8, size, f"checkpoint at {size} does not verify: {exc}", "signed", None)
            continue
        if size > n or cp.size != size:
            fail(8, size, "checkpoint beyond the log", n, size)
        elif roots.get(size) != cp.root:
            fail(
                8,
                max(size - 1, 0),
                f"root at checkpoint {size}",
                base64.b64encode(cp.root).decode(),
                roots.get(size),
            )
        rep.checkpoint_size = size
