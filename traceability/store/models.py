"""Event, trace-edge, sensor, dead-letter and dedupe tables.

``event`` and ``sensor_reading`` become TimescaleDB hypertables on PostgreSQL (see
:mod:`traceability.store.timescale`); their primary keys include the time column, as a
hypertable's unique keys must. ``event`` is append-only for the application.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from traceability.store.types import BigIntId, JSONType, UTCDateTime, utcnow


class EventRow(SQLModel, table=True):
    """One EPCIS 2.0 event (CBV 2.0 event hash ``event_hash``), derived from the ledger record
    ``ledger_index`` and keyed by it (plus the event time, as a hypertable's keys must); the
    event is found from its hash through ``ledger_entry.event_hash`` (indexed)."""

    __tablename__ = "event"
    __table_args__ = (sa.PrimaryKeyConstraint("ledger_index", "event_time", name="event_pkey"),)
    event_hash: str = Field(max_length=120)
    event_time: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    event_type: str = Field(max_length=32)
    action: str | None = Field(default=None, max_length=8)
    biz_step: str | None = Field(default=None, max_length=120)
    disposition: str | None = Field(default=None, max_length=120)
    read_point: str | None = Field(default=None, max_length=200)
    biz_location: str | None = Field(default=None, max_length=200)
    device_id: str | None = Field(default=None, max_length=64)
    ledger_index: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    body: dict[str, Any] = Field(sa_type=JSONType)


class TraceEdge(SQLModel, table=True):
    """A derived edge of the trace graph; walks go forward on ``src`` and backward on ``dst``.

    kinds: ``contains`` (parent -> child), ``transforms`` (input -> output), ``custody``
    (party/location -> party/location for an item), ``observed`` (item -> location).
    """

    __tablename__ = "trace_edge"
    __table_args__ = (
        sa.Index("ix_trace_edge_src", "src", "event_time"),
        sa.Index("ix_trace_edge_dst", "dst", "event_time"),
        sa.Index("ix_trace_edge_item", "item", "event_time"),  # migration 0007
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    kind: str = Field(max_length=16)
    src: str = Field(max_length=200)
    dst: str = Field(max_length=200)
    item: str | None = Field(default=None, max_length=200)
    event_hash: str = Field(max_length=120)
    event_time: datetime = Field(sa_type=UTCDateTime)
    ledger_index: int = Field(sa_type=sa.BigInteger)


class SensorReading(SQLModel, table=True):
    __tablename__ = "sensor_reading"
    time: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    source: str = Field(primary_key=True, max_length=200)
    measurement: str = Field(primary_key=True, max_length=64)
    value: float
    unit: str = Field(default="", max_length=16)
    event_hash: str | None = Field(default=None, max_length=120)


class DeadLetter(SQLModel, table=True):
    """A message that failed a check: reason code, topic, device and the original bytes."""

    __tablename__ = "dead_letter"
    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntId)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    reason: str = Field(max_length=32, index=True)
    topic: str = Field(max_length=300)
    device_id: str | None = Field(default=None, max_length=64, index=True)
    field: str | None = Field(default=None, max_length=200)
    detail: str = Field(default="", max_length=2000)
    payload: bytes = Field(sa_type=sa.LargeBinary)


class EnvelopeSeen(SQLModel, table=True):
    """Per-device envelope sequence numbers already accepted (dedupe and replay detection)."""

    __tablename__ = "envelope_seen"
    device_id: str = Field(primary_key=True, max_length=64)
    seq: str = Field(primary_key=True, max_length=24)
    digest: str = Field(max_length=64)
    first_index: int = Field(sa_type=sa.BigInteger)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
