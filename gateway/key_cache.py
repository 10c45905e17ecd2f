"""In-memory cache of devices, their keys and bound locations, judged at receive time.

One query per device on a miss (device + location + all its keys); entries expire after
``ttl_s`` (so a revocation elsewhere is seen within seconds) and can be invalidated at once
(:meth:`KeyCache.invalidate`, e.g. after a rotate/revoke in this process). A store failure
is a :class:`TransientError`, never a verdict about the device.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.errors import Rejected, TransientError


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: str
    public_key: bytes
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None


@dataclass(slots=True)
class DeviceInfo:
    device_id: str
    status: str
    location_id: str
    location_sgln: str | None
    location_gln: str | None
    keys: dict[str, KeyInfo] = field(default_factory=dict)


Loader = Callable[[str], "DeviceInfo | None"]


class KeyCache:
    def __init__(
        self,
        loader: Loader,
        *,
        ttl_s: float = 5.0,
        negative_ttl_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader
        self._ttl = ttl_s
        self._neg_ttl = negative_ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[float, DeviceInfo | None]] = {}
        self._lock = threading.Lock()

    def invalidate(self, device_id: str | None = None) -> None:
        with self._lock:
            if device_id is None:
                self._entries.clear()
            else:
                self._entries.pop(device_id, None)

    def device(self, device_id: str, *, refresh: bool = False) -> DeviceInfo | None:
        now = self._clock()
        hit = None if refresh else self._entries.get(device_id)
        if hit is not None:
            loaded, info = hit
            if now - loaded < (self._ttl if info is not None else self._neg_ttl):
                return info
        info = self._loader(device_id)
        with self._lock:
            self._entries[device_id] = (now, info)
        return info

    def key_for(self, *, device_id: str, key_id: str, at: datetime) -> tuple[DeviceInfo, KeyInfo]:
        """The device and its key valid at ``at`` (the platform's receive time), or Rejected."""
        info = self.device(device_id)
        if info is None or key_id not in info.keys:
            info = self.device(device_id, refresh=True)  # just registered / rotated?
        if info is None:
            raise Rejected(
                f"device {device_id!r} is not registered",
                code="unknown_device",
                field="device",
                device=device_id,
            )
        key = info.keys.get(key_id)
        if key is None:
            raise Rejected(
                f"key {key_id!r} is not registered for device {device_id!r}",
                code="unknown_key",
                field="key",
                device=device_id,
            )
        if info.status != "active":
            raise Rejected(
                f"device {device_id!r} is {info.status}",
                code="device_revoked",
                field="device",
                device=device_id,
            )
        if key.revoked_at is not None and key.revoked_at <= at:
            raise Rejected(
                f"key {key_id!r} was revoked at {key.revoked_at.isoformat()}",
                code="device_revoked",
                field="key",
                device=device_id,
            )
        if at < key.valid_from or (key.valid_until is not None and at >= key.valid_until):
            raise Rejected(
                f"key {key_id!r} is not valid at {at.isoformat()}",
                code="unknown_key",
                field="key",
                device=device_id,
            )
        return info, key


def sql_loader(engine: Engine) -> Loader:
    """A loader reading the registry tables with two plain queries."""
    from traceability.store.types import UTCDateTime

    keys_sql = sa.text(
        "select key_id, public_key, valid_from, valid_until, revoked_at "
        "from device_key where device_id = :d"
    ).columns(
        sa.column("key_id", sa.String()),
        sa.column("public_key", sa.LargeBinary()),
        sa.column("valid_from", UTCDateTime()),
        sa.column("valid_until", UTCDateTime()),
        sa.column("revoked_at", UTCDateTime()),
    )

    def load(device_id: str) -> DeviceInfo | None:
        try:
            with engine.connect() as conn:
                row = conn.execute(
                    sa.text(
                        "select d.id, d.status, d.location_id, l.sgln, l.gln from device d "
                        "left join location l on l.id = d.location_id where d.id = :d"
                    ),
                    {"d": device_id},
                ).first()
                if row is None:
                    return None
                info = DeviceInfo(
                    device_id=row[0],
                    status=_status(row[1]),
                    location_id=row[2],
                    location_sgln=row[3],
                    location_gln=row[4],
                )
                for k in conn.execute(keys_sql, {"d": device_id}):
                    info.keys[k[0]] = KeyInfo(
                        key_id=k[0],
                        public_key=bytes(k[1]),
                        valid_from=k[2],
                        valid_until=k[3],
                        revoked_at=k[4],
                    )
                return info
        except sa.exc.SQLAlchemyError as exc:
            raise TransientError(f"registry lookup failed: {exc.__class__.__name__}") from exc

    return load


def _status(value: object) -> str:
    text = str(getattr(value, "value", value))
    return text.rsplit(".", 1)[-1]
