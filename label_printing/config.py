"""Label-printing settings from the environment, prefixed ``TRACE_LABELS_``."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LabelSettings(BaseSettings):
    """``TRACE_LABELS_MAX_COUNT``, ``TRACE_LABELS_RESOLVER``, ``TRACE_LABELS_STATION`` ..."""

    model_config = SettingsConfigDict(env_prefix="TRACE_LABELS_", env_file=".env", extra="ignore")

    max_count: int = Field(default=100_000, ge=1, description="most labels in one run")
    resolver: str = Field(
        default="https://id.gs1.org",
        description="GS1 Digital Link resolver domain (optionally with a path prefix)",
    )
    station: str = Field(default="label-station-1", description="the print station's device id")
    serial_mode: str = Field(default="random", description="random | sequential")
    chunk: int = Field(default=200, ge=1, le=1000, description="labels per commissioning event")


@lru_cache(maxsize=1)
def get_label_settings() -> LabelSettings:
    return LabelSettings()
