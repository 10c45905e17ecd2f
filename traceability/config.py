"""Settings from the environment (and ``.env``), all prefixed ``TRACE_``.

Secrets are checked once, when the settings are built (a service refuses to start, and no
error message ever contains a secret): bearer tokens are RFC 6750 ``token68`` strings, never
empty; in production mode the admin token and every API token have at least
:data:`MIN_TOKEN_CHARS` characters, the development default is refused, and the store must be
PostgreSQL. ``TRACE_API_TOKENS`` is parsed here (:func:`parse_api_tokens`), not per request.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from traceability.errors import ConfigError

DEFAULT_SECRET = "change-me-dev-only"  # the development admin token; refused in production
MIN_TOKEN_CHARS = 32  # production mode: shorter bearer tokens are refused
TOKEN_ROLES = ("producer", "regulator", "admin")
TOKEN_RE = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 token68
log = logging.getLogger(__name__)

Role = Literal["producer", "regulator", "admin"]


@dataclass(frozen=True, slots=True)
class ApiToken:
    """One configured bearer token and whom it stands for."""

    token: str
    role: Role
    party_id: str | None = None


def _token_problem(token: str, *, production: bool) -> str | None:
    """Why ``token`` cannot be a bearer token (never quoting it), or None."""
    if not token:
        return "is empty"
    if TOKEN_RE.fullmatch(token) is None:
        return "has characters a bearer token cannot have (allowed: A-Z a-z 0-9 - . _ ~ + / =)"
    if production and token == DEFAULT_SECRET:
        return "is the development default"
    if production and len(token) < MIN_TOKEN_CHARS:
        return f"is shorter than {MIN_TOKEN_CHARS} characters (production mode)"
    return None


def parse_api_tokens(spec: str, *, production: bool = False) -> tuple[ApiToken, ...]:
    """``token:role[:party_id],...`` -> tokens; a bad entry is a :class:`ConfigError` naming
    the entry by position only. Producer tokens need a party, other roles take none."""
    out: list[ApiToken] = []
    items = [x.strip() for x in spec.split(",")]
    items = [x for x in items if x]
    seen: set[str] = set()
    for n, item in enumerate(items, 1):
        where = f"TRACE_API_TOKENS entry {n} of {len(items)}"
        parts = item.split(":")
        if len(parts) not in (2, 3) or parts[1] not in TOKEN_ROLES:
            raise ConfigError(
                f"{where} must be token:role[:party_id] with role producer, regulator or admin",
                code="api_tokens",
                field="api_tokens",
            )
        token, role = parts[0], parts[1]
        party = parts[2] if len(parts) == 3 else None
        problem = _token_problem(token, production=production)
        if problem:
            raise ConfigError(
                f"{where}: the token {problem}", code="api_tokens", field="api_tokens"
            )
        if role == "producer" and not party:
            raise ConfigError(
                f"{where}: a producer token needs its party (token:producer:PARTY_ID)",
                code="api_tokens",
                field="api_tokens",
            )
        if role != "producer" and party is not None:
            raise ConfigError(
                f"{where}: only producer tokens belong to a party ({role} tokens see all)",
                code="api_tokens",
                field="api_tokens",
            )
        if token in seen:
            raise ConfigError(
                f"{where}: the same token is listed twice", code="api_tokens", field="api_tokens"
            )
        seen.add(token)
        out.append(ApiToken(token=token, role=role, party_id=party))  # type: ignore[arg-type]
    return tuple(out)


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
    admin_token: str = Field(
        default=DEFAULT_SECRET,
        description="the operator's bearer token; production: at least 32 characters",
    )
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
    api_max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="the largest HTTP request body the API reads; larger ones get 413",
    )
    consumer_scan_rate: float = Field(
        default=1.0,
        ge=0,
        description="consumer-page views (scans) a client address may make a second, "
        "sustained (token bucket per address, per process); 0 = no limit. Over it: 429",
    )
    consumer_scan_burst: int = Field(default=60, ge=1, le=1_000_000)
    consumer_report_rate: float = Field(
        default=1 / 60,
        ge=0,
        description="'report a problem' posts a client address may make a second, sustained "
        "(default one a minute); 0 = no limit. Over it: 429",
    )
    consumer_report_burst: int = Field(default=5, ge=1, le=1_000_000)
    consumer_report_max_bytes: int = Field(
        default=8 * 1024,
        ge=256,
        le=1024 * 1024,
        description="the largest 'report a problem' form body; larger ones get 413",
    )
    consumer_scan_salt: str = Field(
        default="",
        description="the secret salt of the daily client hashes of scans and reports; empty: "
        "a random salt per process (hashes then never link across restarts)",
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

    @field_validator("database_url", mode="before")
    @classmethod
    def _empty_url_is_unset(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Settings:
        production = self.mode == "production"
        if production and self.admin_token == DEFAULT_SECRET:
            raise ConfigError(
                "TRACE_ADMIN_TOKEN must be set in production mode (the development default "
                f"is refused; use {MIN_TOKEN_CHARS}+ random characters, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)",
                code="default_secret",
                field="admin_token",
            )
        problem = _token_problem(self.admin_token, production=production)
        if problem:
            raise ConfigError(
                f"TRACE_ADMIN_TOKEN {problem}", code="weak_secret", field="admin_token"
            )
        tokens = parse_api_tokens(self.api_tokens, production=production)
        if any(t.token == self.admin_token for t in tokens):
            raise ConfigError(
                "a TRACE_API_TOKENS token equals TRACE_ADMIN_TOKEN: each token needs its own value",
                code="api_tokens",
                field="api_tokens",
            )
        if production:
            url = (self.database_url or "").lower()
            if not url.startswith(("postgresql", "postgres:")):
                raise ConfigError(
                    "production mode needs TRACE_DATABASE_URL pointing at PostgreSQL "
                    "(postgresql://...); SQLite is for development only",
                    code="production_store",
                    field="database_url",
                )
        return self

    @property
    def api_token_table(self) -> tuple[ApiToken, ...]:
        """The admin token and ``TRACE_API_TOKENS``, parsed (validated when built)."""
        extra = parse_api_tokens(self.api_tokens, production=self.mode == "production")
        return (ApiToken(token=self.admin_token, role="admin"), *extra)

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
