"""Provisioning and load helpers shared by the gateway's integration tests and the benchmark.

Registers a party, a location and devices with fresh keys straight into the registry tables,
builds signed envelopes, and publishes over MQTT with paho.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.engine import Engine
from sqlmodel import Session

from traceability.registry.models import Device, DeviceKey, Location, Party
from traceability.signing import envelope as env_mod
from traceability.signing import service as signing

SGLN = "urn:epc:id:sgln:0614141.00001.0"


@dataclass
class Provisioned:
    keys: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # device -> (kid, seed)

    def envelope(self, device: str, seq: int, events: list[dict[str, Any]], **kw: Any) -> bytes:
        kid, seed = self.keys[device]
        return env_mod.build(device=device, key_id=kid, seed=seed, seq=seq, events=events, **kw)


def provision(engine: Engine, devices: list[str], *, revoked: tuple[str, ...] = (),
              sgln: str = SGLN) -> Provisioned:
    out = Provisioned()
    now = datetime.now(UTC)
    with Session(engine) as s:
        if s.get(Party, "p-test") is None:
            s.add(Party(id="p-test", name="Test party", roles=["producer"]))
            s.flush()
            s.add(Location(id="loc-test", name="Test site", sgln=sgln, party_id="p-test"))
            s.flush()
        for dev in devices:
            seed, pub = signing.generate_keypair()
            kid = signing.key_id(pub)
            s.add(Device(id=dev, location_id="loc-test", party_id="p-test"))
            s.flush()
            s.add(DeviceKey(key_id=kid, device_id=dev, public_key=pub,
                            valid_from=now - timedelta(days=1),
                            revoked_at=now - timedelta(minutes=1) if dev in revoked else None))
            out.keys[dev] = (kid, seed)
        s.commit()
    return out


def event(serial: str | int, *, step: str = "commissioning", when: datetime | None = None,
          read_point: str = SGLN, company: str = "0614141", item_ref: str = "812345",
          **extra: Any) -> dict[str, Any]:
    t = when or datetime.now(UTC) - timedelta(seconds=1)
    ev: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
        "eventTimeZoneOffset": "+08:00",
        "epcList": [f"urn:epc:id:sgtin:{company}.{item_ref}.{serial}"], "action": "ADD",
        "bizStep": step, "readPoint": {"id": read_point}}
    ev.update(extra)
    return ev


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Publisher:
    """A QoS 1 MQTT 5 publisher counting PUBACKs."""

    def __init__(self, host: str, port: int, *, client_id: str = "",
                 username: str | None = None, password: str | None = None) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5)
        if username:
            self.client.username_pw_set(username, password)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.acked = 0
        self._lock = threading.Lock()
        self.client.on_publish = self._on_publish
        self.client.connect(host, port)
        self.client.loop_start()

    def _on_publish(self, *_args: Any) -> None:
        with self._lock:
            self.acked += 1

    def publish(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=1)

    def wait_acked(self, n: int, timeout: float = 60.0) -> bool:
        return wait_for(lambda: self.acked >= n, timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0,
             interval: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
