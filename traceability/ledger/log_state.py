"""What an append must know about the log before it builds records: :func:`read`.

Read under the single-writer lock, in one round trip on PostgreSQL:

1. the log's size and its last leaf hash;
2. which of the batch's events are already recorded (``ledger_entry.event_hash``: a hash index
   on PostgreSQL, probed once per hash through a LATERAL subquery, as the planner would
   otherwise hash-join against a sequential scan of the whole log);
3. the chain head (index and leaf hash of the latest record) of every item the batch touches;
4. which of the batch's envelopes are already stored.

Item heads are also kept per database in this process (:class:`_Cache`), valid while the log's
(size, last leaf) read in step 1 is the one this process left after its own last append: then no
other writer appended in between and every cached head is current, so step 3 asks only for the
items not in the cache. Anything else (another process appended, a rollback, a key entry) empties
the cache and the heads are read again in a second round trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.ledger import store
from traceability.ledger.models import LedgerEntry, LedgerEnvelope, LedgerItem

__all__ = ["LogState", "read", "remember"]

Head = tuple[int, str]  # (index, leaf hash hex) of an item's latest record
_E = LedgerEntry.__table__  # type: ignore[attr-defined]
_V = LedgerEnvelope.__table__  # type: ignore[attr-defined]
_I = LedgerItem.__table__  # type: ignore[attr-defined]
CACHE_ITEMS = 200_000  # heads kept per database (~30 MB); past it the cache starts again empty


@dataclass(slots=True)
class LogState:
    size: int
    last: bytes | None  # leaf hash of entry size - 1
    existing: dict[str, int]  # event hash -> index
    heads: dict[str, Head]  # item -> head, for every touched item that has one
    envelopes: set[str]  # envelope digests already stored
    frontier: list[bytes] | None = None  # the tree's frontier at ``size``, when cached


@dataclass(slots=True)
class _Cache:
    size: int
    last: bytes | None
    frontier: list[bytes]
    heads: dict[str, Head] = field(default_factory=dict)


_CACHES: dict[str, _Cache] = {}

_PG_SQL = """
select 0, idx, leaf_hash, null::varchar from
  (select idx, leaf_hash from ledger_entry order by idx desc limit 1) last
union all
select 1, e.idx, null::bytea, q.h
  from unnest(%(h)b::varchar[]) as q(h)
  cross join lateral (select idx from ledger_entry where event_hash = q.h limit 1) e
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


def _key(session: Session) -> str:
    return session.connection().engine.url.render_as_string(hide_password=False)


def _query(
    session: Session,
    events: list[str],
    items: list[str],
    digests: list[str],
    *,
    with_size: bool = True,
) -> list[tuple[Any, ...]]:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection
        args = {"h": events, "i": items, "d": digests}
        with raw.cursor() as cur:
            cur.execute(_PG_SQL, args, prepare=True)
            return [tuple(r) for r in cur.fetchall() if with_size or r[0] != 0]
    found: list[tuple[Any, ...]] = []
    if with_size:
        found += [
            (0, i, h, None)
            for i, h in conn.execute(
                sa.select(_E.c.idx, _E.c.leaf_hash).order_by(_E.c.idx.desc()).limit(1)
            )
        ]
    if events:
        found += [
            (1, i, None, h)
            for h, i in conn.execute(
                sa.select(_E.c.event_hash, _E.c.idx).where(_E.c.event_hash.in_(events))
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
            for d in conn.execute(sa.select(_V.c.digest).where(_V.c.digest.in_(digests))).scalars()
        ]
    return found


def _fill(st: LogState, found: Iterable[tuple[Any, ...]]) -> None:
    for kind, idx, leaf, text in found:
        if kind == 0:
            st.size, st.last = int(idx) + 1, bytes(leaf)
        elif kind == 1:
            st.existing[str(text)] = int(idx)
        elif kind == 2:
            st.heads[str(text)] = (int(idx), bytes(leaf).hex())
        else:
            st.envelopes.add(str(text))


def read(
    session: Session, *, events: list[str], items: Iterable[str], digests: list[str]
) -> LogState:
    """The log's state for a batch (``events``: event hashes); see the module doc.

    Call it holding the append lock (:func:`traceability.ledger.store.lock`)."""
    wanted = list(dict.fromkeys(items))
    key = _key(session)
    cache = _CACHES.get(key)
    cached = cache.heads if cache is not None else {}
    st = LogState(0, None, {}, {}, set())
    _fill(st, _query(session, events, [i for i in wanted if i not in cached], digests))
    if cache is not None and (cache.size, cache.last) == (st.size, st.last):
        st.frontier = cache.frontier
        for item in wanted:
            head = cached.get(item)
            if head is not None:
                st.heads[item] = head
        return st
    _CACHES.pop(key, None)
    missing = [i for i in wanted if i in cached]
    if missing:  # the cache was stale: ask for the heads it answered
        _fill(st, _query(session, [], missing, [], with_size=False))
    return st


def frontier(session: Session, st: LogState) -> list[bytes]:
    """The frontier at ``st.size``: cached, or read from the stored nodes."""
    return st.frontier if st.frontier is not None else store.frontier(session, st.size)


def remember(
    session: Session,
    *,
    size: int,
    last: bytes,
    frontier: list[bytes],
    heads: dict[str, Head],
) -> None:
    """After an append (not yet committed): the state it leaves, for the next :func:`read`.

    If the transaction rolls back, the next read finds another (size, last leaf) and drops it."""
    key = _key(session)
    cache = _CACHES.get(key)
    kept = cache.heads if cache is not None and len(cache.heads) < CACHE_ITEMS else {}
    kept.update(heads)
    _CACHES[key] = _Cache(size, last, frontier, kept)
