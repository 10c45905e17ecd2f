"""Settings from the environment (and ``.env``), all prefixed ``TRACE_``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from traceability.errors import ConfigError

DEFAULT_SECRET = "change-me-dev-only"  # refused in production mode
log = logging.getLogger(__name__)


class Settings(BaseSettings):
    """Every setting the services read. Names are the environment variables without TRACE_."""

    model_config = SettingsConfigDict(env_prefix="TRACE_", env_file=".env", extra="ignore")

    mode: Literal["development", "production"] = "development"
    data_dir: Path = Path("./.suyuan")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in data_dir"
    )
    mqtt_url: str = Field(default="embedded", description="'embedded' or mqtt://host:port")
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_base_url: str | None = Field(
        default=None, description="the URL people reach the API at; default http://host:port"
    )
    secret_key: str = DEFAULT_SECRET
    admin_token: str = DEFAULT_SECRET
    api_tokens: str = Field(
        default="",
        description="API bearer tokens: 'token:role[:party_id],...' (role: "
        "producer | regulator | admin)",
    )
    log_origin: str = "suyuan.example/ledger"
    log_key_file: Path | None = Field(
        default=None, description="the ledger's Ed25519 signing key; default: data_dir/log.key"
    )
    witness_urls: str = Field(default="", description="comma-separated witness endpoints")
    witness_keys: str = Field(
        default="",
        description="comma-separated cosignature/v1 verifier keys of the witnesses "
        "(name+keyid+base64, type 0x04, e.g. from `tracectl witness keygen`). A cosignature "
        "line any witness URL returns is stored only when it verifies against one of these "
        "keys (any configured key is accepted from any URL); other lines are dropped. "
        "Required with TRACE_WITNESS_URLS in production mode; in development, without keys, "
        "no cosignatures are collected (a warning is logged).",
    )
    checkpoint_interval_s: float = Field(
        default=60.0, description="the API signs a checkpoint this often when the log grew; 0: off"
    )
    gateway_client_id: str = "suyuan-gateway-1"
    gateway_batch_size: int = 1000
    gateway_batch_ms: int = 50
    gateway_max_payload: int = 256 * 1024
    clock_skew_s: int = 300
    time_floor: datetime = Field(
        default=datetime(2000, 1, 1, tzinfo=UTC),
        description="event and envelope times before this are refused (time_before_floor); "
        "RFC 3339, naive = UTC",
    )
    event_max_age_days: float = Field(
        default=731.0,
        ge=0,
        description="an eventTime more than this many days before its envelope's sent_at is "
        "refused (time_too_old); 0 = no limit",
    )

    @model_validator(mode="after")
    def _witness_keys(self) -> Settings:
        if not self.witness_urls.strip():
            return self
        if not self.witness_keys.strip():
            if self.mode == "production":
                raise ConfigError(
                    "TRACE_WITNESS_URLS needs TRACE_WITNESS_KEYS (the witnesses' cosignature/v1 "
                    "verifier keys) in production mode",
                    code="witness_keys",
                    field="witness_keys",
                )
            log.warning(
                "TRACE_WITNESS_URLS is set without TRACE_WITNESS_KEYS: cosignatures cannot be "
                "verified, so none are collected"
            )
            return self
        from traceability.ledger.note import witness_verifiers  # no import cycle

        witness_verifiers(self.witness_keys, log_origin=self.log_origin)  # ConfigError if bad
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.mode == "production":
            for name in ("secret_key", "admin_token"):
                if getattr(self, name) == DEFAULT_SECRET:
                    raise ConfigError(
                        f"TRACE_{name.upper()} must be set in production mode",
                        code="default_secret",
                        field=name,
                    )
            if self.database_url is None or self.database_url.startswith("sqlite"):
                raise ConfigError(
                    "production mode needs TRACE_DATABASE_URL pointing at PostgreSQL",
                    code="production_store",
                    field="database_url",
                )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'suyuan.db').resolve()}"

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def effective_log_key_file(self) -> Path:
        return self.log_key_file or self.data_dir / "log.key"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
