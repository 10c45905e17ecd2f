"""Tables of the EPCIS interface: party API keys and capture jobs (migration 0009).

``party_api_key`` keeps a key's SHA-256 digest, never the key: the key is shown once, when it
is created. ``capture_job`` is the capture job resource of the EPCIS 2.0 REST bindings; its
``ledger_indexes`` are the records its events became. Which party asserted a captured event
is in the ledgered event itself (``suyuan:assertedBy``, signed by the platform device), so
visibility reads it from there and ``tracectl verify`` covers it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from traceability.store.types import JSONType, UTCDateTime, utcnow


class PartyApiKey(SQLModel, table=True):
    __tablename__ = "party_api_key"
    id: str = Field(primary_key=True, max_length=24)  # the key's visible id (in the key itself)
    party_id: str = Field(foreign_key="party.id", max_length=64, index=True)
    name: str = Field(default="", max_length=100)
    digest: str = Field(max_length=64)  # SHA-256 of the whole key, hex
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CaptureJob(SQLModel, table=True):
    __tablename__ = "capture_job"
    id: str = Field(primary_key=True, max_length=40)
    party_id: str = Field(max_length=64, index=True)
    key_id: str | None = Field(default=None, max_length=24)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    running: bool = False
    success: bool = False
    event_count: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    ledger_indexes: list[int] = Field(default_factory=list, sa_type=JSONType)
