"""One batch, one transaction: dedupe under the ledger lock, dead letters, events, edges, seen
seqs.

Events go through the ledger's :func:`traceability.ledger.service.append_events` (single-writer
lock, custody records, ``event`` and ``trace_edge`` rows, COPY) in the batch's transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from gateway.decode import Accepted, Refused
from traceability.ledger import bulk
from traceability.ledger import store as ledger_store
from traceability.ledger.service import EventSubmission, append_events

DL_COLS = ("received_at", "reason", "topic", "device_id", "field", "detail", "payload")
DL_TYPES = ("timestamptz", "varchar", "varchar", "varchar", "varchar", "varchar", "bytea")
SEEN_COLS = ("device_id", "seq", "digest", "first_index", "recorded_at")
SEEN_TYPES = ("varchar", "varchar", "varchar", "bigint", "timestamptz")
PIPELINE_EVENTS = 200  # a batch of at most this many events is written in pipeline mode


@dataclass(slots=True)
class BatchResult:
    stored: list[Accepted] = field(default_factory=list)
    duplicates: list[Accepted] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    events_stored: int = 0
    events_duplicate: int = 0


AppendFn = Callable[[Session, Sequence[Accepted], datetime], list[tuple[int | None, bool]]]


class StoreWriter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self._append: AppendFn = ledger_append

    def write(self, batch: Sequence[Accepted | Refused]) -> BatchResult:
        """Commit one batch. On PostgreSQL a small batch (``PIPELINE_EVENTS`` events or fewer,
        where round trips, not rows, are the cost: a device may be awaiting a verdict) runs in
        psycopg pipeline mode: lock + dedupe, the ledger look-up, and all inserts + COMMIT are
        three round trips instead of about fifteen."""
        # The connection is held here, not by the session: ``session.commit()`` on a session
        # that owns its connection returns it to the pool at once, and in pipeline mode that is
        # before the pipeline block has exited. Another thread (a verdict look-up, a reader of
        # the same engine) could then check out a connection still in pipeline mode, and its
        # pre-ping fails. Bound to ``conn``, the session commits the transaction and keeps off
        # the pool; the connection goes back only when the pipeline is closed.
        with self.engine.connect() as conn:
            try:
                with Session(bind=conn, expire_on_commit=False) as session:
                    if self.pg and sum(_events(m) for m in batch) <= PIPELINE_EVENTS:
                        raw: Any = conn.connection.dbapi_connection
                        with raw.pipeline():
                            return self._write(session, conn, batch)
                    return self._write(session, conn, batch)
            except BaseException:
                # a failure inside pipeline mode (or a raw COPY) can leave psycopg's connection
                # in transaction status INERROR, which the pool's rollback does not clear: every
                # later batch on it would fail ("can't change 'autocommit' now"). Discard it.
                with contextlib.suppress(Exception):
                    conn.invalidate()
                raise

    def _write(
        self, session: Session, conn: Connection, batch: Sequence[Accepted | Refused]
    ) -> BatchResult:
        result = BatchResult()
        now = datetime.now(UTC)
        # the ledger's single-writer lock also serialises the envelope_seen dedupe across
        # gateway processes; the ledger append below finds it held (no second round trip)
        ledger_store.lock(session)
        fresh = self._dedupe(conn, batch, result)
        if fresh:
            outcomes = self._append(session, fresh, now)
            seen_rows = [
                (
                    acc.envelope.device,
                    acc.envelope.seq,
                    acc.digest,
                    first_index if first_index is not None else -1,
                    now,
                )
                for acc, (first_index, _new) in zip(fresh, outcomes, strict=True)
            ]
            result.stored.extend(fresh)
            result.events_stored = sum(len(a.events) for a in fresh)
            bulk.copy(session, "envelope_seen", SEEN_COLS, SEEN_TYPES, seen_rows)
        if result.refused:
            rows = [
                (
                    r.received_at,
                    r.reason,
                    _text(r.topic)[:300],
                    (r.device or None) and _text(r.device)[:64],
                    r.field and _text(r.field)[:200],
                    _text(r.detail)[:2000],
                    r.payload,
                )
                for r in result.refused
            ]
            bulk.copy(session, "dead_letter", DL_COLS, DL_TYPES, rows)
        session.commit()
        return result

    def _dedupe(
        self, conn: Connection, batch: Sequence[Accepted | Refused], result: BatchResult
    ) -> list[Accepted]:
        accepted = [m for m in batch if isinstance(m, Accepted)]
        known: dict[tuple[str, str], str] = {}
        if accepted:
            devices = sorted({a.envelope.device for a in accepted})
            seqs = sorted({a.envelope.seq for a in accepted})
            known = {(r[0], r[1]): r[2] for r in self._seen(conn, devices, seqs)}
        fresh: list[Accepted] = []
        for m in batch:
            if isinstance(m, Refused):
                result.refused.append(m)
                continue
            k = (m.envelope.device, m.envelope.seq)
            digest = known.get(k)
            if digest is None:
                known[k] = m.digest
                fresh.append(m)
            elif digest == m.digest:
                result.duplicates.append(m)
                result.events_duplicate += len(m.events)
            else:
                result.refused.append(
                    Refused(
                        m.topic,
                        m.payload,
                        "replayed_seq",
                        m.envelope.device,
                        "seq",
                        f"seq {m.envelope.seq} of {m.envelope.device} was already used for "
                        "other content",
                        m.received_at,
                    )
                )
        return fresh

    def _seen(self, conn: Connection, devices: list[str], seqs: list[str]) -> list[Any]:
        if self.pg:  # a raw cursor: it may run in pipeline mode (fetchall syncs)
            raw: Any = conn.connection.dbapi_connection
            with raw.cursor() as cur:
                cur.execute(
                    "select device_id, seq, digest from envelope_seen "
                    "where device_id = any(%b::varchar[]) and seq = any(%b::varchar[])",
                    (devices, seqs),
                    prepare=True,
                )
                return list(cur.fetchall())
        rows = conn.execute(
            sa.text(
                "select device_id, seq, digest from envelope_seen "
                "where device_id in :d and seq in :s"
            ).bindparams(sa.bindparam("d", expanding=True), sa.bindparam("s", expanding=True)),
            {"d": devices, "s": seqs},
        )
        return list(rows)


def _text(value: str) -> str:
    """A dead letter's text as any store holds it: U+0000 and lone surrogates escaped (the
    original bytes are kept whole in ``payload``)."""
    if "\x00" in value:
        value = value.replace("\x00", "\\u0000")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _events(m: Accepted | Refused) -> int:
    return len(m.events) if isinstance(m, Accepted) else 1


def ledger_append(
    session: Session, fresh: Sequence[Accepted], now: datetime
) -> list[tuple[int | None, bool]]:
    """Append the events of ``fresh`` envelopes to the ledger; (first index, stored) each."""
    subs: list[EventSubmission] = []
    owners: list[int] = []
    for i, acc in enumerate(fresh):
        for j, ev in enumerate(acc.events):
            subs.append(
                EventSubmission(
                    event=ev.body,
                    event_hash=ev.event_hash,
                    envelope=acc.envelope,
                    device_id=acc.envelope.device,
                    key_id=acc.key_id,
                    position=j,
                    envelope_bytes=acc.signed or None,
                )
            )
            owners.append(i)
    results = append_events(session, submissions=subs)
    firsts: list[int | None] = [None] * len(fresh)
    for owner, res in zip(owners, results, strict=True):
        if firsts[owner] is None:
            firsts[owner] = res.index
    return [(f, f is not None) for f in firsts]
