"""The ``recall`` table: one row per opened recall, pointing at the ledgered recall event.

The row is derived: ``tracectl verify`` (:mod:`traceability.ledger.audit.recall`) checks that
every ledgered recall event has its row, unchanged, and that every row has its event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from traceability.store.types import JSONType, UTCDateTime


class Recall(SQLModel, table=True):
    __tablename__ = "recall"
    id: str = Field(primary_key=True, max_length=40)
    level: str = Field(max_length=16)  # CN-I | CN-II | CN-III | FDA-I | FDA-II | FDA-III
    reason: str = Field(max_length=400)
    opened_by: str = Field(max_length=64)
    requested_at: datetime = Field(sa_type=UTCDateTime)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    start_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    scope: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    event_hash: str = Field(max_length=120)
    ledger_index: int = Field(sa_type=sa.BigInteger, index=True)
