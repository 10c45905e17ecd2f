"""The disk-backed outbox: signed envelopes wait here until the broker's PUBACK arrives.

One SQLite file in the device's data directory. A sequence number is allocated, the envelope
signed and stored, and the counter advanced in one transaction, so a restart (or a crash at
any point) never signs different content under a seq that was already used. Rows leave the
queue only through :meth:`Outbox.remove` (called on PUBACK), and are drained in seq order.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
create table if not exists outbox (
    seq integer primary key,
    topic text not null,
    payload blob not null,
    created_at real not null default (julianday('now'))
);
create table if not exists counter (
    name text primary key,
    value integer not null
);
"""


@dataclass(frozen=True, slots=True)
class Queued:
    seq: int
    topic: str
    payload: bytes


class Outbox:
    """Thread-safe persistent FIFO of (seq, topic, payload)."""

    def __init__(self, path: Path, *, first_seq: int = 1) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=full")
        self._db.executescript(_SCHEMA)
        self._db.execute(
            "insert or ignore into counter(name, value) values ('next_seq', ?)", (first_seq,)
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def append(self, *, topic: str, build: Callable[[int], bytes]) -> int:
        """Allocate the next seq, build (sign) the payload for it, and store both atomically."""
        with self._lock:
            self._db.execute("begin immediate")
            try:
                (seq,) = self._db.execute(
                    "select value from counter where name = 'next_seq'"
                ).fetchone()
                payload = build(seq)
                self._db.execute(
                    "insert into outbox(seq, topic, payload) values (?, ?, ?)",
                    (seq, topic, payload),
                )
                self._db.execute("update counter set value = ? where name = 'next_seq'", (seq + 1,))
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
            return int(seq)

    def append_many(self, *, topic: str, builds: list[Callable[[int], bytes]]) -> list[int]:
        """:meth:`append` for several envelopes in one transaction (one disk sync, not one each:
        a device queueing a backlog offline); all are stored or none."""
        with self._lock:
            self._db.execute("begin immediate")
            try:
                (first,) = self._db.execute(
                    "select value from counter where name = 'next_seq'"
                ).fetchone()
                seqs = [int(first) + i for i in range(len(builds))]
                self._db.executemany(
                    "insert into outbox(seq, topic, payload) values (?, ?, ?)",
                    [(seq, topic, build(seq)) for seq, build in zip(seqs, builds, strict=True)],
                )
                self._db.execute(
                    "update counter set value = ? where name = 'next_seq'",
                    (int(first) + len(builds),),
                )
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
            return seqs

    def peek(self, *, after: int = 0, limit: int = 100) -> list[Queued]:
        """The oldest queued envelopes with seq > ``after``, in seq order."""
        with self._lock:
            rows = self._db.execute(
                "select seq, topic, payload from outbox where seq > ? order by seq limit ?",
                (after, limit),
            ).fetchall()
        return [Queued(seq=int(s), topic=str(t), payload=bytes(p)) for s, t, p in rows]

    def remove(self, seq: int) -> bool:
        with self._lock:
            cur = self._db.execute("delete from outbox where seq = ?", (seq,))
            return cur.rowcount > 0

    def next_seq(self) -> int:
        with self._lock:
            (value,) = self._db.execute(
                "select value from counter where name = 'next_seq'"
            ).fetchone()
        return int(value)

    def __len__(self) -> int:
        with self._lock:
            (n,) = self._db.execute("select count(*) from outbox").fetchone()
        return int(n)
