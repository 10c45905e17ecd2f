"""Label tables (created by migration 0006): runs, issued serials, counters, SSCCs.

``label_serial``'s primary key (gtin, serial) is what makes a serial never issued twice, across
processes and runs: every allocation inserts there, and a collision is never handed out.
A serial's ``state``: ``allocated`` (reserved for its run, recorded before anything is
rendered) -> ``commissioned`` (its commissioning event is in the ledger) -> ``printed`` (its
label was written out); ``voided`` after decommissioning.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from traceability.store.types import JSONType, UTCDateTime, utcnow

ALLOCATED = "allocated"
COMMISSIONED = "commissioned"
PRINTED = "printed"
VOIDED = "voided"
SERIAL_STATES = (ALLOCATED, COMMISSIONED, PRINTED, VOIDED)


class LabelRun(SQLModel, table=True):
    __tablename__ = "label_run"
    id: str = Field(primary_key=True, max_length=32)
    gtin: str = Field(max_length=14, index=True)
    lot: str = Field(max_length=20)
    expiry: dt.date
    count: int
    format: str = Field(max_length=8)
    serial_mode: str = Field(max_length=16)
    symbol: str = Field(max_length=16)
    dpi: int
    resolver: str = Field(max_length=200)
    product_name: str = Field(default="", max_length=200)
    station_id: str = Field(max_length=64)
    status: str = Field(max_length=16)  # allocated | done
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    options: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


class LabelSerial(SQLModel, table=True):
    __tablename__ = "label_serial"
    gtin: str = Field(primary_key=True, max_length=14)
    serial: str = Field(primary_key=True, max_length=20)
    run_id: str = Field(max_length=32, index=True)
    position: int
    state: str = Field(max_length=16)
    reprints: int = 0
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SerialCounter(SQLModel, table=True):
    __tablename__ = "label_serial_counter"
    gtin: str = Field(primary_key=True, max_length=14)
    next_value: int = Field(sa_type=sa.BigInteger)


class SsccCounter(SQLModel, table=True):
    __tablename__ = "sscc_counter"
    prefix: str = Field(primary_key=True, max_length=13)  # extension digit + company prefix
    next_value: int = Field(sa_type=sa.BigInteger)


class IssuedSscc(SQLModel, table=True):
    __tablename__ = "label_sscc"
    sscc: str = Field(primary_key=True, max_length=18)
    run_id: str | None = Field(default=None, max_length=32)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
