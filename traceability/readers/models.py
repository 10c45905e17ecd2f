"""What a derivation takes: the reader configuration, the typed ``reader`` member, tag reads.

The ``reader`` member of a signed envelope (docs/protocol.md §3.3, ``trace/v1/{device}/reader``)::

    {"format": "impinj-iot/v1" | "zebra-iot/v1",
     "config": {"biz_step": "receiving", "action": "OBSERVE", "disposition": "in_progress",
                "read_point": "urn:epc:id:sgln:...", "biz_location": "urn:epc:id:sgln:...",
                "antenna_read_points": {"1": "urn:epc:id:sgln:..."}, "window_ms": 2000,
                "timezone_offset": "+08:00"},
     "messages": [<raw reader JSON objects, as received>]}

The defaults of :class:`ReaderConfig` belong to the format version: they never change for a
``.../v1`` format (an edge agent should write every member anyway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

__all__ = ["Observation", "ReaderConfig", "ReaderInput", "TagRead"]

_URI = r"^[A-Za-z][A-Za-z0-9+.-]*:\S{1,250}$"
_ANTENNA = r"^[1-9][0-9]{0,3}$"  # "1".."9999": one spelling per antenna number


class ReaderConfig(BaseModel):
    """What the site's edge agent adds to every read: why (bizStep, disposition, action), where
    (read point per antenna, bizLocation), the collapse window and the time zone offset."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    biz_step: StrictStr = Field(min_length=1, max_length=200)
    action: Literal["ADD", "OBSERVE", "DELETE"] = "OBSERVE"
    disposition: StrictStr | None = Field(default=None, min_length=1, max_length=200)
    read_point: StrictStr | None = Field(default=None, pattern=_URI)
    biz_location: StrictStr | None = Field(default=None, pattern=_URI)
    antenna_read_points: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    window_ms: StrictInt = Field(default=2000, ge=0, le=3_600_000)
    timezone_offset: StrictStr = Field(default="+00:00", pattern=r"^[+-]\d\d:[0-5]\d$")

    @field_validator("antenna_read_points")
    @classmethod
    def _antennas(cls, value: dict[str, str]) -> dict[str, str]:
        for k, v in value.items():
            if not re.match(_ANTENNA, k):
                raise ValueError(f"antenna {k!r} is not a decimal antenna number 1-9999")
            if not re.match(_URI, v):
                raise ValueError(f"read point of antenna {k} is not a URI: {v!r}")
        return value

    @property
    def window(self) -> timedelta:
        return timedelta(milliseconds=self.window_ms)

    def read_point_for(self, antenna: int | None) -> str | None:
        if antenna is not None and str(antenna) in self.antenna_read_points:
            return self.antenna_read_points[str(antenna)]
        return self.read_point


@dataclass(frozen=True, slots=True)
class ReaderInput:
    """The checked ``reader`` member: a known format, its configuration, the raw messages."""

    format: str
    config: ReaderConfig
    messages: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class TagRead:
    """One tag report from a reader, vendor-neutral."""

    epc_hex: str
    antenna: int | None
    seen_at: datetime
    rssi_dbm: float | None = None
    count: int = 1
    reader: str | None = None


@dataclass(slots=True)
class Observation:
    """Reads of one tag at one antenna inside the window, collapsed."""

    epc_hex: str
    antenna: int | None
    first_seen: datetime
    last_seen: datetime
    read_count: int
    best_rssi_dbm: float | None
    reader: str | None = None

    def absorb(self, read: TagRead) -> None:
        self.first_seen = min(self.first_seen, read.seen_at)
        self.last_seen = max(self.last_seen, read.seen_at)
        self.read_count += read.count
        if read.rssi_dbm is not None and (
            self.best_rssi_dbm is None or read.rssi_dbm > self.best_rssi_dbm
        ):
            self.best_rssi_dbm = read.rssi_dbm
