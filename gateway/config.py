"""Gateway settings derived from :class:`traceability.config.Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from traceability.config import Settings

SHARE_GROUP = "gateways"
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

    @classmethod
    def from_settings(cls, settings: Settings, *, mqtt_url: str | None = None,
                      client_id: str | None = None) -> GatewayConfig:
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
        )


def subscriptions(*, mqtt5: bool, group: str = SHARE_GROUP) -> list[str]:
    """Shared subscriptions on an MQTT 5 broker, plain ones on a 3.1.1 broker."""
    if mqtt5:
        return [f"$share/{group}/{t}" for t in TOPICS]
    return list(TOPICS)
