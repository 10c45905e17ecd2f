"""Where a device's publisher connects: an ``mqtt://`` / ``mqtts://`` URL, parsed once."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from traceability.errors import ConfigError


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "mqtts", "tcp") or not parsed.hostname:
            raise ConfigError(
                f"broker URL must be mqtt://host:port, got {url!r}", field="broker_url", value=url
            )
        tls = parsed.scheme == "mqtts"
        return cls(
            host=parsed.hostname,
            port=parsed.port or (8883 if tls else 1883),
            tls=tls,
            username=parsed.username,
            password=parsed.password,
        )
