"""Gateway settings derived from :class:`traceability.config.Settings`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlparse

from traceability.config import Settings
from traceability.events.timing import TimeRule

SHARE_GROUP = "gateways"
DEFAULT_TIME_RULE = TimeRule()
TOPICS = ("trace/v1/+/events", "trace/v1/+/reader")


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    database_url: str
    mqtt_host: str
    mqtt_port: int
    embedded: bool
    client_id: str
    username: str | None
    password: str | None
    batch_size: int
    batch_ms: int
    max_payload: int
    clock_skew_s: int
    session_expiry_s: int = 600
    receive_maximum: int = 4096
    key_ttl_s: float = 5.0
    backoff_max_s: float = 5.0
    share_group: str = SHARE_GROUP
    # Processes for the CPU-bound decode path (parse, verify, validate, hash); 0 = one thread
    # in the gateway process. ``TRACE_GATEWAY_DECODE_WORKERS`` sets it for from_settings.
    decode_workers: int = 0
    # How long the chunking thread may wait to fill a chunk for the workers when messages
    # arrive fast (gateway.chunks); 0 = hand off whatever has arrived.
    decode_linger_ms: float = 2.0
    # Prepended to every gateway topic (isolation on a shared broker, e.g. the benchmark).
    topic_prefix: str = ""
    # the floor / maximum age / clock skew of event and envelope times (events.timing)
    time_rule: TimeRule = DEFAULT_TIME_RULE

    @classmethod
    def from_settings(
        cls, settings: Settings, *, mqtt_url: str | None = None, client_id: str | None = None
    ) -> GatewayConfig:
        url = mqtt_url or settings.mqtt_url
        embedded = url == "embedded"
        parsed = urlparse("mqtt://127.0.0.1:1883" if embedded else url)
        return cls(
            database_url=settings.effective_database_url,
            mqtt_host=parsed.hostname or "127.0.0.1",
            mqtt_port=parsed.port or 1883,
            embedded=embedded,
            client_id=client_id or settings.gateway_client_id,
            username=parsed.username or settings.mqtt_username,
            password=parsed.password or settings.mqtt_password,
            batch_size=settings.gateway_batch_size,
            batch_ms=settings.gateway_batch_ms,
            max_payload=settings.gateway_max_payload,
            clock_skew_s=settings.clock_skew_s,
            decode_workers=decode_workers_from_env(),
            time_rule=TimeRule.from_settings(settings),
        )


def decode_workers_from_env() -> int:
    """``TRACE_GATEWAY_DECODE_WORKERS``: a number, or ``auto`` (the CPU count, at most 4)."""
    raw = os.environ.get("TRACE_GATEWAY_DECODE_WORKERS", "0").strip().lower()
    if raw == "auto":
        cpus = os.cpu_count() or 1
        return 0 if cpus < 2 else min(cpus, 4)
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


def subscriptions(*, mqtt5: bool, group: str = SHARE_GROUP, prefix: str = "") -> list[str]:
    """Shared subscriptions on an MQTT 5 broker, plain ones on a 3.1.1 broker."""
    if mqtt5:
        return [f"$share/{group}/{prefix}{t}" for t in TOPICS]
    return [prefix + t for t in TOPICS]
