"""One batch, one transaction: dedupe under the lock, dead letters, events, edges, seen seqs.

Events go through the ledger's :func:`traceability.ledger.service.append_events` (single-writer
lock, custody records, ``event`` and ``trace_edge`` rows, COPY) in the batch's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from gateway.decode import Accepted, Refused
from traceability.ledger.service import EventSubmission, append_events

GATEWAY_LOCK = 0x5359_4741_5445  # "SYGATE": serialises gateway batches across processes
DL_COLS = ("received_at", "reason", "topic", "device_id", "field", "detail", "payload")


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
        result = BatchResult()
        now = datetime.now(UTC)
        with Session(self.engine, expire_on_commit=False) as session:
            conn = session.connection()
            if self.pg:
                conn.execute(sa.text("select pg_advisory_xact_lock(:k)"), {"k": GATEWAY_LOCK})
            fresh = self._dedupe(conn, batch, result)
            if fresh:
                outcomes = self._append(session, fresh, now)
                seen_rows = []
                for acc, (first_index, _new) in zip(fresh, outcomes, strict=True):
                    seen_rows.append(
                        (
                            acc.envelope.device,
                            acc.envelope.seq,
                            acc.digest,
                            first_index if first_index is not None else -1,
                            now,
                        )
                    )
                    result.stored.append(acc)
                result.events_stored = sum(len(a.events) for a in fresh)
                self._insert(
                    conn,
                    "envelope_seen",
                    ("device_id", "seq", "digest", "first_index", "recorded_at"),
                    seen_rows,
                )
            if result.refused:
                self._insert(
                    conn,
                    "dead_letter",
                    DL_COLS,
                    [
                        (
                            r.received_at,
                            r.reason,
                            r.topic[:300],
                            (r.device or None) and r.device[:64],
                            r.field and r.field[:200],
                            r.detail[:2000],
                            r.payload,
                        )
                        for r in result.refused
                    ],
                )
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
            rows = conn.execute(
                sa.text(
                    "select device_id, seq, digest from envelope_seen "
                    "where device_id in :d and seq in :s"
                ).bindparams(sa.bindparam("d", expanding=True), sa.bindparam("s", expanding=True)),
                {"d": devices, "s": seqs},
            )
            known = {(r[0], r[1]): r[2] for r in rows}
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

    def _insert(
        self, conn: Connection, table: str, cols: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        rows = list(rows)
        if not rows:
            return
        if self.pg:
            copy_rows(conn, table, cols, rows)
            return
        names = ", ".join(cols)
        params = ", ".join(f":{c}" for c in cols)
        conn.execute(
            sa.text(f"insert into {table} ({names}) values ({params})"),
            [dict(zip(cols, _sqlite_row(r), strict=True)) for r in rows],
        )


def copy_rows(
    conn: Connection, table: str, cols: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"copy {table} ({', '.join(cols)}) from stdin") as cp:
        for row in rows:
            cp.write_row(row)


def _sqlite_row(row: Sequence[Any]) -> list[Any]:
    return [v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v for v in row]


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
