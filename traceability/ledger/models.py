"""Ledger tables. All are append-only (PostgreSQL triggers and grants, see migration 0002).

What each stored column is checked against (``tracectl verify``):

- ``ledger_entry``: ``record`` is the leaf (RFC 8785 bytes); ``leaf_hash`` = SHA-256(0x00||record);
  ``idx``, ``kind``, ``recorded_at``, ``event_hash``, ``envelope`` are read back from the record;
  ``nodes`` = the Merkle subtrees this leaf completes (levels 1..tz(idx + 1), 32 bytes each),
  recomputable from the leaves (see :func:`traceability.ledger.merkle.node_home`).
- ``ledger_envelope``: ``digest`` = SHA-256(``body``) is committed by the records that use it;
  ``body`` is the envelope's unsigned canonical bytes, so ``device``/``key_id`` are in it and
  ``sig`` is committed by the records (and verifies over ``body``).
- ``ledger_item``: (item, idx) for every item a record touches, recomputable from the records.
- ``ledger_checkpoint`` / ``ledger_cosignature``: signed notes, verified by their signatures.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from traceability.store.types import BigIntId, UTCDateTime


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entry"
    # PostgreSQL: a hash index (migration 0005; uniqueness is the append's and the audit's);
    # SQLite keeps the unique index migration 0002 made
    __table_args__ = (
        sa.Index("ix_ledger_entry_event_hash", "event_hash", postgresql_using="hash"),
    )
    idx: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    kind: str = Field(max_length=32)
    leaf_hash: bytes = Field(sa_type=sa.LargeBinary)
    nodes: bytes = Field(default=b"", sa_type=sa.LargeBinary)
    record: bytes = Field(sa_type=sa.LargeBinary)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    event_hash: str | None = Field(default=None, max_length=120, unique=True)
    envelope: str | None = Field(default=None, max_length=64)


class LedgerEnvelope(SQLModel, table=True):
    """A signed device envelope, stored once however many records point at it."""

    __tablename__ = "ledger_envelope"
    digest: str = Field(primary_key=True, max_length=64)
    device_id: str = Field(max_length=64)
    key_id: str = Field(max_length=64)
    sig: bytes = Field(sa_type=sa.LargeBinary)
    body: bytes = Field(sa_type=sa.LargeBinary)


class LedgerItem(SQLModel, table=True):
    """Index of the records touching an item (the item's hash chain, newest = max idx)."""

    __tablename__ = "ledger_item"
    item: str = Field(primary_key=True, max_length=200)
    idx: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )


class LedgerCheckpoint(SQLModel, table=True):
    """A checkpoint note signed by the log key (cosignatures are separate rows)."""

    __tablename__ = "ledger_checkpoint"
    size: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    root: bytes = Field(sa_type=sa.LargeBinary)
    note: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(sa_type=UTCDateTime)


class LedgerCosignature(SQLModel, table=True):
    __tablename__ = "ledger_cosignature"
    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    size: int = Field(sa_type=sa.BigInteger, index=True)
    witness: str = Field(max_length=200)
    line: str = Field(sa_type=sa.Text)
    received_at: datetime = Field(sa_type=UTCDateTime)


class LedgerLock(SQLModel, table=True):
    """One row; on SQLite an append first writes it, which takes the database write lock."""

    __tablename__ = "ledger_lock"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int = Field(default=0, sa_type=sa.BigInteger)


APPEND_ONLY_TABLES = (
    "ledger_entry",
    "ledger_envelope",
    "ledger_item",
    "ledger_checkpoint",
    "ledger_cosignature",
    "event",
    "trace_edge",
)
