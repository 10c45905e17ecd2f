"""Registry tables: parties, locations, devices and their keys, products, lots.

Table models (``table=True``) are separate from request/response models (``XCreate``,
``XPublic``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from traceability.store.types import JSONType, UTCDateTime, utcnow


class CreditStatus(StrEnum):
    good = "good"
    warning = "warning"
    serious_violation = "serious_violation"  # on the serious-violation (严重违法失信) list


class ProductCategory(StrEnum):
    food = "food"
    drug = "drug"
    equipment = "equipment"


class DeviceStatus(StrEnum):
    active = "active"
    revoked = "revoked"


class Party(SQLModel, table=True):
    __tablename__ = "party"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    uscc: str | None = Field(default=None, max_length=18, index=True)
    gln: str | None = Field(default=None, max_length=13, index=True)
    # the GS1 Company Prefix registered to the party (migration 0008): where set, EPC URNs of
    # its products split at its length (identifiers.gs1.prefix_length_for)
    gs1_company_prefix: str | None = Field(default=None, max_length=12)
    roles: list[str] = Field(default_factory=list, sa_type=JSONType)
    credit_status: CreditStatus = Field(default=CreditStatus.good, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Location(SQLModel, table=True):
    __tablename__ = "location"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    gln: str | None = Field(default=None, max_length=13, index=True)
    sgln: str | None = Field(default=None, max_length=120, unique=True)
    address: str = Field(default="", max_length=400)
    city: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100)
    country: str = Field(default="CN", max_length=2)
    party_id: str = Field(foreign_key="party.id", max_length=64, index=True)
    latitude: float | None = None
    longitude: float | None = None


class Device(SQLModel, table=True):
    __tablename__ = "device"
    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(default="reader", max_length=32)
    location_id: str = Field(foreign_key="location.id", max_length=64, index=True)
    party_id: str = Field(foreign_key="party.id", max_length=64, index=True)
    status: DeviceStatus = Field(default=DeviceStatus.active, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeviceKey(SQLModel, table=True):
    """A device's public key with its validity window (the ledger holds the lifecycle entries)."""

    __tablename__ = "device_key"
    key_id: str = Field(primary_key=True, max_length=64)
    device_id: str = Field(foreign_key="device.id", max_length=64, index=True)
    public_key: bytes = Field(sa_type=sa.LargeBinary)
    valid_from: datetime = Field(sa_type=UTCDateTime)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoke_reason: str | None = Field(default=None, max_length=200)


class Product(SQLModel, table=True):
    __tablename__ = "product"
    gtin: str = Field(primary_key=True, max_length=14)
    name: str = Field(max_length=200)
    brand: str = Field(default="", max_length=200)
    category: ProductCategory = Field(max_length=16)
    party_id: str = Field(foreign_key="party.id", max_length=64, index=True)
    attributes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


class Lot(SQLModel, table=True):
    __tablename__ = "lot"
    gtin: str = Field(foreign_key="product.gtin", primary_key=True, max_length=14)
    lot: str = Field(primary_key=True, max_length=20)
    produced_on: date | None = None
    expires_on: date | None = None
    recalled: bool = False
    recall_reason: str | None = Field(default=None, max_length=400)
    recalled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
