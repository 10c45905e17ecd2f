"""Reading the ledger from the store: size, stored nodes, roots, proofs and records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.ledger import merkle
from traceability.ledger.errors import EntryNotFoundError, ProofError
from traceability.ledger.models import LedgerEntry

_LOCK_KEY = 0x5355_5955  # "SUYU"
_LOCKED = "suyuan.ledger.locked"  # session.info: the transaction that holds the lock
_E = LedgerEntry.__table__  # type: ignore[attr-defined]


def lock(session: Session) -> None:
    """Take the single-writer lock for appends, held until the caller's transaction ends.

    Taking it again in the same transaction is a no-op (no round trip)."""
    tx = session.get_transaction()
    if tx is not None and session.info.get(_LOCKED) is tx:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur:  # a raw cursor: it may be queued in pipeline mode
            cur.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,), prepare=True)
    else:  # a write first thing: SQLite's write lock is taken now and held until commit
        conn.execute(sa.text("update ledger_lock set n = n + 1 where id = 1"))
    session.info[_LOCKED] = session.get_transaction()


def size(session: Session) -> int:
    value = session.connection().execute(sa.select(sa.func.max(_E.c.idx))).scalar()
    return 0 if value is None else int(value) + 1


def _entry_hashes(session: Session, rows: list[int]) -> dict[int, tuple[bytes, bytes]]:
    """(leaf hash, nodes) of the given entries, in one query."""
    if not rows:
        return {}
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur:
            cur.execute(_NODES_SQL, (rows,), prepare=True)
            return {int(i): (bytes(h), bytes(nd)) for i, h, nd in cur}
    found = conn.execute(sa.select(_E.c.idx, _E.c.leaf_hash, _E.c.nodes).where(_E.c.idx.in_(rows)))
    return {int(i): (bytes(h), bytes(nd)) for i, h, nd in found}


_NODES_SQL = "select idx, leaf_hash, nodes from ledger_entry where idx = any(%s)"


def fetch_nodes(
    session: Session, nodes: Iterable[merkle.Node], *, extra_row: int | None = None
) -> dict[merkle.Node, bytes]:
    """Hashes of stored perfect subtrees (leaf hashes and the ``nodes`` of their entries).

    ``extra_row``: an entry that must exist too (the last leaf of the tree a proof is for), so
    that a proof needs one query; :class:`ProofError` names the tree size when it does not.
    """
    wanted = set(nodes)
    homes = {n: merkle.node_home(n) for n in wanted}
    rows = {r for r, _ in homes.values()}
    if extra_row is not None:
        rows.add(extra_row)
    got = _entry_hashes(session, sorted(rows))
    if extra_row is not None and extra_row not in got:
        current = size(session)
        raise ProofError(
            f"tree size {extra_row + 1} exceeds the log size {current}",
            field="size",
            expected=f"<= {current}",
            computed=extra_row + 1,
        )
    out: dict[merkle.Node, bytes] = {}
    for node, (row, off) in homes.items():
        entry = got.get(row)
        if entry is not None:
            value = entry[0] if off < 0 else entry[1][off : off + merkle.HASH_SIZE]
            if len(value) == merkle.HASH_SIZE:
                out[node] = value
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


def range_hashes(
    session: Session, ranges: list[merkle.Range], *, tree_size: int | None = None
) -> list[bytes]:
    extra = tree_size - 1 if tree_size else None
    nodes = fetch_nodes(session, merkle.nodes_for(ranges), extra_row=extra)
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
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves (one query)."""
    ranges = merkle.inclusion_ranges(index, size)
    return range_hashes(session, ranges, tree_size=size)


def consistency_proof(session: Session, *, old: int, new: int) -> list[bytes]:
    """RFC 9162 consistency proof from tree size ``old`` to ``new`` (empty when equal)."""
    if old == new:
        _check_size(session, new)
        return []
    return range_hashes(session, merkle.consistency_ranges(old, new), tree_size=new)


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
