"""Reading the ledger from the store: size, stored nodes, roots, proofs and records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.ledger import merkle
from traceability.ledger.errors import EntryNotFoundError, ProofError
from traceability.ledger.models import LedgerEntry, LedgerSubtree

_LOCK_KEY = 0x5355_5955  # "SUYU"
_E = LedgerEntry.__table__  # type: ignore[attr-defined]
_S = LedgerSubtree.__table__  # type: ignore[attr-defined]


def lock(session: Session) -> None:
    """Take the single-writer lock for appends, held until the caller's transaction ends."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("select pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    else:  # a write first thing: SQLite's write lock is taken now and held until commit
        conn.execute(sa.text("update ledger_lock set n = n + 1 where id = 1"))


def size(session: Session) -> int:
    value = session.connection().execute(sa.select(sa.func.max(_E.c.idx))).scalar()
    return 0 if value is None else int(value) + 1


def fetch_nodes(session: Session, nodes: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """Hashes of stored perfect subtrees: level 0 from the entries, the rest from subtrees."""
    wanted = set(nodes)
    leaves = [i for lv, i in wanted if lv == 0]
    inner = [(lv, i) for lv, i in wanted if lv > 0]
    conn = session.connection()
    out: dict[merkle.Node, bytes] = {}
    if leaves:
        rows = conn.execute(sa.select(_E.c.idx, _E.c.leaf_hash).where(_E.c.idx.in_(leaves)))
        out.update({(0, int(i)): bytes(h) for i, h in rows})
    if inner:
        rows = conn.execute(
            sa.select(_S.c.level, _S.c.idx, _S.c.hash).where(
                sa.tuple_(_S.c.level, _S.c.idx).in_(inner)
            )
        )
        out.update({(int(lv), int(i)): bytes(h) for lv, i, h in rows})
    missing = wanted - out.keys()
    if missing:
        lv, i = min(missing)
        raise ProofError(
            f"stored subtree ({lv}, {i}) is missing",
            field="subtree",
            expected=f"node ({lv}, {i})",
            computed="nothing",
        )
    return out


def range_hashes(session: Session, ranges: list[merkle.Range]) -> list[bytes]:
    nodes = fetch_nodes(session, merkle.nodes_for(ranges))
    return [merkle.range_hash(a, b, nodes.__getitem__) for a, b in ranges]


def frontier(session: Session, n: int) -> list[bytes]:
    wanted = merkle.frontier_nodes(n)
    nodes = fetch_nodes(session, wanted)
    return [nodes[x] for x in wanted]


def root(session: Session, n: int) -> bytes:
    return merkle.fold(frontier(session, n)) if n else merkle.EMPTY_ROOT


def _check_size(session: Session, n: int) -> int:
    current = size(session)
    if n > current:
        raise ProofError(
            f"tree size {n} exceeds the log size {current}",
            field="size",
            expected=f"<= {current}",
            computed=n,
        )
    return current


def inclusion_proof(session: Session, *, index: int, size: int) -> list[bytes]:
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    _check_size(session, size)
    return range_hashes(session, merkle.inclusion_ranges(index, size))


def consistency_proof(session: Session, *, old: int, new: int) -> list[bytes]:
    """RFC 9162 consistency proof from tree size ``old`` to ``new`` (empty when equal)."""
    _check_size(session, new)
    if old == new:
        return []
    return range_hashes(session, merkle.consistency_ranges(old, new))


def get_record(session: Session, *, index: int) -> LedgerEntry:
    row = session.get(LedgerEntry, index)
    if row is None:
        raise EntryNotFoundError(f"no ledger entry {index}", field="index", value=index)
    return row


def entry_for_event(session: Session, *, event_hash: str) -> LedgerEntry:
    row = session.exec(  # type: ignore[call-overload]
        sa.select(LedgerEntry).where(_E.c.event_hash == event_hash)
    ).first()
    if row is None:
        raise EntryNotFoundError(
            f"no ledger entry for event {event_hash}", field="event_id", value=event_hash
        )
    entry: Any = row[0] if isinstance(row, tuple | sa.Row) else row
    return entry  # type: ignore[no-any-return]
