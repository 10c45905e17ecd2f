"""Provisioning and load helpers shared by the gateway's integration tests and the benchmark.

Registers a party, a location and devices with fresh keys straight into the registry tables,
builds signed envelopes, and publishes over MQTT with paho; a private Mosquitto on a spare
port and a TCP proxy that can cut a connection (for the reliability tests).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.embedded_broker import free_port
from traceability.registry import keys
from traceability.registry.models import Device, Location, Party
from traceability.signing import ed25519 as signing
from traceability.signing import envelope as env_mod

SGLN = "urn:epc:id:sgln:0614141.00001.0"


@dataclass
class Provisioned:
    keys: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # device -> (kid, seed)

    def envelope(self, device: str, seq: int, events: list[dict[str, Any]], **kw: Any) -> bytes:
        kid, seed = self.keys[device]
        return env_mod.build(device=device, key_id=kid, seed=seed, seq=seq, events=events, **kw)


def provision(
    engine: Engine,
    devices: list[str],
    *,
    revoked: tuple[str, ...] = (),
    sgln: str = SGLN,
    seeds: dict[str, bytes] | None = None,
) -> Provisioned:
    """Register ``devices`` (fresh keys, or the Ed25519 ``seeds`` given for some of them)."""
    out = Provisioned()
    now = datetime.now(UTC)
    with Session(engine) as s:
        if s.get(Party, "p-test") is None:
            s.add(Party(id="p-test", name="Test party", roles=["producer"]))
            s.flush()
            s.add(Location(id="loc-test", name="Test site", sgln=sgln, party_id="p-test"))
            s.flush()
        for dev in devices:
            if seeds and dev in seeds:
                seed = seeds[dev]
                pub = signing.public_key_from_seed(seed=seed)
            else:
                seed, pub = signing.generate_keypair()
            kid = signing.key_id(pub)
            s.add(Device(id=dev, location_id="loc-test", party_id="p-test"))
            s.flush()
            # through the registry: the ledger gets its key.register / key.revoke entries
            # (``tracectl verify`` checks every event's key against them)
            keys.register_key(s, device_id=dev, public_key=pub, at=now - timedelta(days=1))
            if dev in revoked:
                keys.revoke_key(
                    s,
                    device_id=dev,
                    key_id=kid,
                    at=now - timedelta(minutes=1),
                    reason="test: revoked device",
                )
            out.keys[dev] = (kid, seed)
        s.commit()
    return out


def event(
    serial: str | int,
    *,
    step: str = "commissioning",
    when: datetime | None = None,
    read_point: str = SGLN,
    company: str = "0614141",
    item_ref: str = "812345",
    **extra: Any,
) -> dict[str, Any]:
    t = when or datetime.now(UTC) - timedelta(seconds=1)
    ev: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
        "eventTimeZoneOffset": "+08:00",
        "epcList": [f"urn:epc:id:sgtin:{company}.{item_ref}.{serial}"],
        "action": "ADD",
        "bizStep": step,
        "readPoint": {"id": read_point},
    }
    ev.update(extra)
    return ev


class Publisher:
    """A QoS 1 MQTT 5 publisher counting PUBACKs."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str = "",
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
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


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, interval: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), 0.2).close()
        return True
    except OSError:
        return False


class PrivateBroker:
    """A private Mosquitto (the real binary) on a spare port, persistence on, big queues.

    ``stop()`` is a clean shutdown (SIGTERM: Mosquitto saves its persistence file);
    ``stop(kill=True)`` is SIGKILL (what was not autosaved is lost).
    """

    def __init__(self, workdir: Path, *, autosave_interval: int = 1) -> None:
        self.port = free_port()
        self.data = workdir / f"mosquitto-{self.port}"
        self.data.mkdir(parents=True, exist_ok=True)
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        self.log = workdir / f"mosquitto-{self.port}.log"
        self.conf.write_text(
            "\n".join(
                [
                    f"user {os.environ.get('USER', 'root')}",
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true",
                    "persistence true",
                    f"persistence_location {self.data}/",
                    f"autosave_interval {autosave_interval}",
                    "max_inflight_messages 1000",
                    "max_queued_messages 1000000",
                    "set_tcp_nodelay true",
                    "log_dest stderr",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    "log_type subscribe",
                    "",
                ]
            )
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> PrivateBroker:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                ["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=log
            )
        if not wait_for(lambda: port_open(self.port), 10):
            raise RuntimeError(f"mosquitto did not listen on {self.port}; see {self.log}")
        return self

    def subscribed(self, client_id: str, topic: str) -> bool:
        """Whether ``client_id`` has subscribed to ``topic`` (from the broker's log)."""
        needle = f" {client_id} 1 {topic}"
        return self.log.exists() and any(
            line.rstrip().endswith(needle)
            for line in self.log.read_text("utf-8", "replace").splitlines()
        )

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


class TcpProxy:
    """A TCP forwarder on a spare port; :meth:`cut` drops every connection and refuses new
    ones (an outage as the client sees it), :meth:`restore` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> TcpProxy:
        lst = socket.socket()
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.bind(("127.0.0.1", self.port))
        lst.listen(64)
        self._listener = lst
        self._thread = threading.Thread(
            target=self._accept, args=(lst,), daemon=True, name="tcp-proxy"
        )
        self._thread.start()
        return self

    def _accept(self, lst: socket.socket) -> None:
        while True:
            try:
                client, _ = lst.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, 5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            with self._lock:
                self._conns.difference_update((src, dst))

    def cut(self) -> None:
        lst, self._listener = self._listener, None
        if lst is not None:
            with contextlib.suppress(OSError):
                lst.shutdown(socket.SHUT_RDWR)
            lst.close()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            conns = list(self._conns)
            self._conns.clear()
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def restore(self) -> None:
        self.start()

    def close(self) -> None:
        self.cut()
