"""The ``violation_decision`` table: one row per serious-violation decision, pointing at the
ledger entry (kind ``party.violation``) that records it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from traceability.store.types import UTCDateTime


class ViolationDecision(SQLModel, table=True):
    __tablename__ = "violation_decision"
    id: str = Field(primary_key=True, max_length=40)
    party_id: str = Field(foreign_key="party.id", max_length=64, index=True)
    party_name: str = Field(max_length=200)
    uscc: str | None = Field(default=None, max_length=18)
    decision: str = Field(max_length=1000)
    decided_by: str = Field(max_length=64)
    decided_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ledger_index: int = Field(sa_type=sa.BigInteger, index=True)
