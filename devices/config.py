"""A device's configuration: identity, where it stands, what its reads mean, how it publishes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from traceability.registry.ids import ID_PATTERN


class DeviceConfig(BaseModel):
    """What a device adds to every read: why (bizStep/disposition) and where (read point)."""

    device_id: str = Field(pattern=ID_PATTERN)
    read_point: str | None = Field(default=None, description="urn:epc:id:sgln:... default")
    biz_location: str | None = None
    biz_step: str = "inspecting"
    disposition: str | None = "active"
    action: str = "OBSERVE"
    antenna_read_points: dict[int, str] = Field(
        default_factory=dict, description="antenna number -> read point (SGLN URN)"
    )
    collapse_window_s: float = 2.0
    timezone_offset: str = "+08:00"
    company_prefix_len: int | None = Field(
        default=None,
        ge=6,
        le=12,
        description="GS1 Company Prefix length when converting scans to EPC URNs. None (the "
        "default): the identifier core's prefix table, as `tracectl id check`. Set it only to "
        "the length of the party's registered GS1 Company Prefix (`gs1_company_prefix` of "
        "POST /parties) where the table is wrong.",
    )
    data_dir: Path = Path("./.suyuan/device")
    batch_max_events: int = 50
    batch_max_ms: int = 200

    def read_point_for(self, antenna: int | None) -> str | None:
        if antenna is not None and antenna in self.antenna_read_points:
            return self.antenna_read_points[antenna]
        return self.read_point

    def reader_config(self) -> dict[str, Any]:
        """The ``config`` of a ``reader`` envelope member (:class:`traceability.readers.
        ReaderConfig`): every member written out, so the signed bytes say it all."""
        return {
            "action": self.action,
            "biz_step": self.biz_step,
            "disposition": self.disposition,
            "read_point": self.read_point,
            "biz_location": self.biz_location,
            "antenna_read_points": {str(k): v for k, v in self.antenna_read_points.items()},
            "window_ms": round(self.collapse_window_s * 1000),
            "timezone_offset": self.timezone_offset,
        }

    def topic(self, kind: str) -> str:
        return f"trace/v1/{self.device_id}/{kind}"
