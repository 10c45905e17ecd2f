"""The ``consumer_scan`` and ``consumer_report`` tables (migration 0011).

A scan keeps coarse client information only: a salted, daily-rotated hash of the client address
(never the address), the kind of browser (mobile/desktop/bot/other), the page language and a
location rounded to 0.1° (about 11 km) when one was given. docs/consumer.md.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from traceability.store.types import BigIntId, UTCDateTime, utcnow


class ConsumerScan(SQLModel, table=True):
    __tablename__ = "consumer_scan"
    __table_args__ = (sa.Index("ix_consumer_scan_item", "item", "scanned_at"),)
    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    item: str = Field(max_length=64)  # gtin[/10/lot][/21/serial]
    gtin: str = Field(max_length=14)
    scanned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    scanner: str = Field(default="anonymous", max_length=16)  # anonymous|trade|retailer|regulator
    party_id: str | None = Field(default=None, max_length=64)
    client: str = Field(default="", max_length=16)  # salted daily hash, never the address
    agent: str = Field(default="other", max_length=8)
    lang: str = Field(default="", max_length=8)
    latitude: float | None = None
    longitude: float | None = None


class ConsumerReport(SQLModel, table=True):
    __tablename__ = "consumer_report"
    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    item: str = Field(max_length=64, index=True)
    gtin: str = Field(max_length=14)
    kind: str = Field(max_length=16)
    message: str = Field(max_length=1000)
    contact: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    client: str = Field(default="", max_length=16)
    lang: str = Field(default="", max_length=8)
    status: str = Field(default="new", max_length=16)
