"""A registry in memory and envelope builders for decode-path tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.decode import Decoder
from gateway.key_cache import DeviceInfo, KeyCache, KeyInfo
from traceability.signing import ed25519 as signing
from traceability.signing import envelope as env_mod

SGLN = "urn:epc:id:sgln:0614141.00001.0"
EPC = "urn:epc:id:sgtin:0614141.812345.6789"


class Registry:
    def __init__(self) -> None:
        self.devices: dict[str, DeviceInfo] = {}
        self.seeds: dict[str, tuple[str, bytes]] = {}

    def add(
        self,
        device: str,
        *,
        status: str = "active",
        revoked_at: datetime | None = None,
        sgln: str = SGLN,
        seed: bytes | None = None,
    ) -> tuple[str, bytes]:
        if seed is None:
            seed, pub = signing.generate_keypair()
        else:
            pub = signing.public_key_from_seed(seed=seed)
        kid = signing.key_id(pub)
        info = DeviceInfo(device, status, f"loc-{device}", sgln, None)
        info.keys[kid] = KeyInfo(kid, pub, datetime(2020, 1, 1, tzinfo=UTC), None, revoked_at)
        self.devices[device] = info
        self.seeds[device] = (kid, seed)
        return kid, seed

    def load(self, device: str) -> DeviceInfo | None:
        return self.devices.get(device)


def event(
    *,
    epc: str = EPC,
    when: datetime | None = None,
    read_point: str = SGLN,
    step: str = "commissioning",
    **extra: Any,
) -> dict[str, Any]:
    t = (when or datetime.now(UTC) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    ev: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": t,
        "eventTimeZoneOffset": "+08:00",
        "epcList": [epc],
        "action": "ADD",
        "bizStep": step,
        "readPoint": {"id": read_point},
    }
    ev.update(extra)
    return ev


def envelope(
    reg: Registry, device: str, seq: int, events: list[dict[str, Any]] | None = None, **kw: Any
) -> bytes:
    kid, seed = reg.seeds[device]
    return env_mod.build(
        device=device, key_id=kid, seed=seed, seq=seq, events=events or [event()], **kw
    )


def decoder(reg: Registry, *, skew: int = 300, max_payload: int = 256 * 1024) -> Decoder:
    return Decoder(keys=KeyCache(reg.load), max_payload=max_payload, clock_skew_s=skew)


def reader_envelope(
    reg: Registry, device: str, seq: int, reader: dict[str, Any], **kw: Any
) -> bytes:
    """An envelope of raw reader JSON (the ``reader`` member), signed by the device."""
    kid, seed = reg.seeds[device]
    return env_mod.build(device=device, key_id=kid, seed=seed, seq=seq, reader=reader, **kw)
