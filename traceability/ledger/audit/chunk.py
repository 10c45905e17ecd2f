"""The per-chunk checks of :mod:`traceability.ledger.audit` (steps 2, 4, 5 and 6).

They only need a chunk's own rows, so on PostgreSQL they run in a pool of worker processes
(:func:`chunk_worker`, each with its own connection); the step numbers are those of the audit's
module docstring.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from traceability import strict_json
from traceability.errors import TraceError
from traceability.events import event_hash
from traceability.events.edges import EDGE_ID_STRIDE, derive
from traceability.ledger import merkle, records
from traceability.ledger.audit.canonical import canonical_bytes as _canonical
from traceability.ledger.audit.report import Fail
from traceability.signing.ed25519 import b64url_decode
from traceability.signing.envelope import body_events


@functools.lru_cache(maxsize=1 << 16)
def _time(v: Any) -> str:
    """A stored time as the records write it; text that is no time is shown as such (so it
    differs from what the record says, and is named there) instead of stopping the audit."""
    if isinstance(v, str):  # SQLite text
        try:
            v = records.parse_time(v.replace(" ", "T") + ("" if "+" in v else "Z"))
        except ValueError:
            return f"unreadable time {v!r}"
    return records.format_time(v)


def _parse_record(data: bytes) -> dict[str, Any]:
    """orjson (which refuses NaN / Infinity), else :func:`records.parse_record` (which does too,
    and words the error)."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return records.parse_record(data)
    return doc if isinstance(doc, dict) else records.parse_record(data)


@dataclass
class Chunk:
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


def check_chunk(conn: sa.Connection, lo: int, hi: int) -> Chunk:
    """Steps 2, 4 (but the once-only and key checks), 5 (items touched) and 6 of [lo, hi).

    Everything here depends on the chunk's own rows only, so chunks run in parallel."""
    out = Chunk()
    fail = out.fails.append

    def rows(sql: str, a: int, b: int) -> list[Any]:
        return list(conn.execute(sa.text(sql), {"lo": a, "hi": b}).all())

    entries = rows(
        "select idx, kind, leaf_hash, record, recorded_at, event_hash, envelope, nodes "
        "from ledger_entry where idx >= :lo and idx < :hi order by idx",
        lo,
        hi,
    )
    digests = sorted({str(e.envelope) for e in entries if e.envelope})
    envs = (
        {
            str(r.digest): r
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
    ev_rows: dict[int, Any] = {}
    for r in rows(
        "select event_hash, event_time, event_type, action, biz_step, disposition, "
        "read_point, biz_location, device_id, ledger_index, recorded_at, body from event "
        "where ledger_index >= :lo and ledger_index < :hi order by ledger_index, event_time",
        lo,
        hi,
    ):
        at = int(r.ledger_index)
        if at in ev_rows:  # the key is (ledger_index, event_time): one more row fits
            fail((6, at, "event rows for one record", 1, "more than one"))
        ev_rows[at] = r
    edges: dict[int, list[tuple[Any, ...]]] = {}
    for r in rows(
        "select id, kind, src, dst, item, event_hash, event_time, ledger_index from trace_edge "
        "where id >= :lo and id < :hi order by id",
        lo * EDGE_ID_STRIDE,
        hi * EDGE_ID_STRIDE,
    ):
        edge_id = int(r.id)
        edges.setdefault(edge_id // EDGE_ID_STRIDE, []).append(
            (
                edge_id,
                r.kind,
                r.src,
                r.dst,
                r.item,
                r.event_hash,
                _time(r.event_time),
                int(r.ledger_index),
            )
        )
    want_items: dict[int, set[str]] = {}
    for idx, kind, leaf, data, rec_at, ev_hash, env, stored_nodes in entries:
        idx, data, leaf = int(idx), bytes(data), bytes(leaf)
        step, before = 2, len(out.recs)
        try:
            # step 2
            try:
                rec = _parse_record(data)
            except (ValueError, TraceError) as exc:  # not JSON, NaN / Infinity, not an object
                fail((2, idx, "record does not parse", "an RFC 8785 JSON object", str(exc)[:200]))
                got = merkle.leaf_hash(data)
                if got != leaf:
                    fail((2, idx, "leaf hash", got, leaf))
                out.recs.append((idx, got, bytes(stored_nodes), None, None))  # tree still checked
                ev_rows.pop(idx, None)
                edges.pop(idx, None)
                continue
            if _canonical(rec) != data:
                fail((2, idx, "record bytes are not canonical", "RFC 8785", "other bytes"))
            got = merkle.leaf_hash(data)
            if got != leaf:
                fail((2, idx, "leaf hash", got, leaf))
            if rec.get("index") != idx:
                fail((2, idx, "record index", idx, rec.get("index")))
            cols = (kind, _time(rec_at), ev_hash, env)
            want = (
                rec.get("kind"),
                rec.get("recorded_at"),
                rec.get("event_hash"),
                rec.get("envelope"),
            )
            if cols != want:
                fail((2, idx, "entry columns", want, cols))
            if rec.get("kind") != records.EVENT_KIND:
                out.recs.append((idx, got, bytes(stored_nodes), rec, None))
                if ev_rows.pop(idx, None) or edges.pop(idx, None):
                    fail((6, idx, "derived rows for a non-event entry", "none", "rows"))
                continue
            # step 4
            step = 4
            digest = str(rec.get("envelope"))
            row = envs.get(digest)
            event_info = None
            if row is None:
                fail((4, idx, "envelope missing", digest, None))
            else:
                body = bytes(row.body)
                if digest not in parsed_env:
                    actual = hashlib.sha256(body).hexdigest()
                    if actual != digest:
                        fail((4, idx, "envelope digest", digest, actual))
                    parsed_env[digest] = _body_events(fail, idx, digest, body)
                    out.bodies[digest] = body
                sig = b64url_decode(str(rec.get("sig")))
                stored = (row.device_id, row.key_id, bytes(row.sig))
                if stored != (rec.get("device"), rec.get("key"), sig):
                    fail((4, idx, "envelope device/key/sig", rec.get("key"), row.key_id))
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
                        [
                            (str(lk.get("item")), lk.get("prev"), lk.get("prev_hash"))
                            for lk in links
                        ],
                    )
                    # step 5 (the items, by the rule of the record's version; the links
                    # are checked in order by the caller)
                    step = 5
                    keyed = records.ITEM_KEYED.get(rec.get("v"))  # type: ignore[arg-type]
                    if keyed is None:
                        fail(
                            (
                                2,
                                idx,
                                "event record version",
                                sorted(records.ITEM_KEYED),
                                rec.get("v"),
                            )
                        )
                        keyed = True
                    touched, derived = derive(event, keyed=keyed)
                    if names != touched:
                        fail((5, idx, "items touched", touched, names))
                    # step 6
                    step = 6
                    _check_event_row(fail, idx, rec, event, ev_rows.pop(idx, None), computed)
                    etime = _event_time(event)
                    want_edges = [
                        (idx * EDGE_ID_STRIDE + j, *parts, rec.get("event_hash"), etime, idx)
                        for j, parts in enumerate(derived)
                    ]
                    if edges.pop(idx, []) != want_edges:
                        fail((6, idx, "trace edges", len(want_edges), "different rows"))
                    want_items[idx] = {str(x) for x in names}
            out.recs.append((idx, got, bytes(stored_nodes), None, event_info))
        except Exception as exc:  # a record the audit cannot read: a failure at its index
            why = f"{type(exc).__name__}: {exc}"[:200]
            fail((step, idx, "record cannot be checked", "a readable record", why))
            if len(out.recs) == before:  # the tree is still checked
                out.recs.append((idx, merkle.leaf_hash(data), bytes(stored_nodes), None, None))
            ev_rows.pop(idx, None)
            edges.pop(idx, None)
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


def chunk_worker(task: tuple[str, int, int]) -> Chunk:
    url, lo, hi = task
    if not _WORKER_ENGINE:
        from traceability.store.engine import create_engine

        _WORKER_ENGINE.append(create_engine(url=url, poolclass=sa.pool.NullPool))
    with _WORKER_ENGINE[0].connect() as conn:
        return check_chunk(conn, lo, hi)


def _body_events(fail: Any, idx: int, digest: str, body: bytes) -> list[Any]:
    """The envelope's events: its ``events``, or those its ``reader`` member derives (the
    derivation its ``format`` names, re-run on the stored bytes); none when that fails."""
    try:
        return body_events(body)
    except (TraceError, ValueError) as exc:  # ValueError: bytes that are not JSON
        fail((4, idx, "events of the stored envelope", digest, f"{type(exc).__name__}: {exc}"))
        return []


def _event_time(event: dict[str, Any]) -> str:
    try:
        return _time(records.event_time(event))
    except TraceError as exc:  # no eventTime, or none with a UTC equivalent
        return f"no event time: {exc.message}"


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
    if row.event_hash != computed:
        fail((6, idx, "event row key (the event's hash)", computed, row.event_hash))
    try:
        cols = records.event_columns(event)
    except TraceError as exc:
        fail((6, idx, "event row: the event's columns cannot be derived", None, exc.message))
        return
    want = (
        rec.get("event_hash"),
        _time(cols[0]),
        *cols[1:],
        rec.get("device"),
        idx,
        rec.get("recorded_at"),
    )
    body = row.body if isinstance(row.body, dict) else strict_json.loads(row.body)
    got = (
        row.event_hash,
        _time(row.event_time),
        row.event_type,
        row.action,
        row.biz_step,
        row.disposition,
        row.read_point,
        row.biz_location,
        row.device_id,
        int(row.ledger_index),
        _time(row.recorded_at),
    )
    if got != want:
        fail((6, idx, "event row columns", want, got))
    if body != event:
        fail((6, idx, "event row body", "the signed event", "a different body"))
