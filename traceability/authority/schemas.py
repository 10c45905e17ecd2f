"""Request bodies of the authority-carrying registry changes (``PATCH`` routes)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from traceability.registry.ids import ID_PATTERN
from traceability.registry.models import CreditStatus, DeviceStatus


class DeviceUpdate(BaseModel):
    """Move a device (to a registered location with a GLN/SGLN) and/or set its status."""

    model_config = ConfigDict(extra="forbid")
    location_id: str | None = Field(default=None, pattern=ID_PATTERN)
    status: DeviceStatus | None = None


class ProductOwner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party_id: str = Field(pattern=ID_PATTERN)


class PartyCredit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credit_status: CreditStatus
