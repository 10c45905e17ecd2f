"""The ingest benchmark's load generator, run in its OWN process (multiprocessing, spawn).

``load``: every envelope is built, signed and framed as an MQTT 5 QoS 1 PUBLISH before timing
starts; :class:`RawPublisher` then writes them over one plain socket (TCP_NODELAY), keeping at
most ``window`` envelopes published but not yet committed (the gateway's commit count is shared
memory). ``verdict``: a pharmacy device dispenses serials one at a time with ``reply_to`` (paho)
while a background client publishes single-event envelopes. See :mod:`bench.ingest`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any


@dataclass(frozen=True)
class GenSpec:
    mode: str  # "load" or "verdict"
    host: str
    port: int
    prefix: str
    keys: dict[str, tuple[str, bytes]]
    events: int
    per_envelope: int
    window: int
    tag: str
    seq0: int
    verdicts: int = 0
    bg_rate: float = 0.0
    pharmacy: str = ""
    dispense: tuple[str, ...] = ()


def _event(serial: str, step: str = "commissioning") -> dict[str, Any]:
    from tests.support.gateway import event

    return event(serial, step=step, when=datetime.now(UTC) - timedelta(seconds=2))


def _client(host: str, port: int, on_message: Callable[..., None] | None = None) -> Any:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    c = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
    )
    c.max_inflight_messages_set(65535)
    c.max_queued_messages_set(0)
    c.on_socket_open = _nodelay
    if on_message is not None:
        c.on_message = on_message
    connected = threading.Event()
    c.on_connect = lambda *_a: connected.set()
    c.connect(host, port, keepalive=60)
    c.loop_start()
    connected.wait(10)
    return c


def _nodelay(_c: Any, _u: Any, sock: Any) -> None:
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _build(spec: GenSpec) -> list[tuple[str, bytes]]:
    from traceability.signing import envelope as env_mod

    devs = sorted(spec.keys)
    out: list[tuple[str, bytes]] = []
    n_env = spec.events // spec.per_envelope
    for k in range(n_env):
        dev = devs[k % len(devs)]
        kid, seed = spec.keys[dev]
        evs = [_event(f"{spec.tag}{k * spec.per_envelope + j}") for j in range(spec.per_envelope)]
        payload = env_mod.build(
            device=dev, key_id=kid, seed=seed, seq=spec.seq0 + k // len(devs), events=evs
        )
        out.append((f"{spec.prefix}trace/v1/{dev}/events", payload))
    return out


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, byte = n >> 7, n & 0x7F
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(text: str) -> bytes:
    raw = text.encode()
    return len(raw).to_bytes(2, "big") + raw


class RawPublisher:
    """A minimal MQTT 5 QoS 1 publisher on a plain socket (TCP_NODELAY): PUBLISH packets are
    built before timing and written with one ``sendall`` per burst; a thread counts PUBACKs.
    paho's Python publish path would cost the shared CPU several times more per message."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        var = _str("MQTT") + bytes([5, 0x02]) + (60).to_bytes(2, "big") + b"\x00"
        body = var + _str(f"bench-gen-{uuid.uuid4().hex[:8]}")
        self.sock.sendall(b"\x10" + _varint(len(body)) + body)
        head = self._read(2)
        if head[0] != 0x20:
            raise RuntimeError(f"expected CONNACK, got {head!r}")
        rest = self._read(head[1])
        if rest[1] != 0:
            raise RuntimeError(f"connection refused: reason {rest[1]}")
        self.acked = 0
        self.reader = threading.Thread(target=self._read_acks, daemon=True)
        self.reader.start()

    def _read(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            buf += chunk
        return buf

    def _read_acks(self) -> None:
        buf = b""
        with contextlib.suppress(OSError):
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while len(buf) >= 2:
                    length, shift, i = 0, 0, 1
                    while i < len(buf):
                        length |= (buf[i] & 0x7F) << shift
                        shift += 7
                        i += 1
                        if not buf[i - 1] & 0x80:
                            break
                    else:
                        break
                    if len(buf) < i + length:
                        break
                    if buf[0] & 0xF0 == 0x40:
                        self.acked += 1
                    buf = buf[i + length :]

    @staticmethod
    def packet(topic: str, payload: bytes, pid: int) -> bytes:
        var = _str(topic) + pid.to_bytes(2, "big") + b"\x00"
        return b"\x32" + _varint(len(var) + len(payload)) + var + payload

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(b"\xe0\x00")
            self.sock.close()


def generator(spec: GenSpec, conn: Connection, committed: Synchronized) -> None:  # type: ignore[type-arg]
    if spec.mode == "verdict":
        _verdict_generator(spec, conn)
        return
    assert spec.window < 65535  # packet ids are reused only long after their PUBACK
    packets = [
        RawPublisher.packet(topic, payload, i % 65535 + 1)
        for i, (topic, payload) in enumerate(_build(spec))
    ]
    client = RawPublisher(spec.host, spec.port)
    conn.send(("ready", len(packets)))
    conn.recv()  # go
    sent: list[float] = []
    window, n, i = spec.window, len(packets), 0
    base = committed.value
    mono, sendall = time.monotonic, client.sock.sendall
    while i < n:
        room = min(window - (i - (committed.value - base)), 64, n - i)
        if room <= 0:
            time.sleep(0.0002)
            continue
        now = mono()
        sent.extend([now] * room)
        sendall(b"".join(packets[i : i + room]))
        i += room
    end = time.monotonic() + 30
    while client.acked < n and time.monotonic() < end:
        time.sleep(0.01)
    conn.send(("sent", sent))
    conn.recv()  # done
    client.close()


def _verdict_generator(spec: GenSpec, conn: Connection) -> None:
    from traceability.signing import envelope as env_mod

    got: dict[str, tuple[float, list[str]]] = {}
    cond = threading.Condition()

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        t = time.monotonic()
        doc = json.loads(msg.payload)
        with cond:
            got[str(doc["seq"])] = (t, [v["verdict"] for v in doc["verdicts"]])
            cond.notify_all()

    pharm = spec.pharmacy
    kid, seed = spec.keys[pharm]
    reply = f"trace/v1/{pharm}/verdicts"
    asks = [
        env_mod.build(
            device=pharm,
            key_id=kid,
            seed=seed,
            seq=spec.seq0 + i,
            events=[_event(serial, step="dispensing")],
            reply_to=reply,
        )
        for i, serial in enumerate(spec.dispense[: spec.verdicts])
    ]
    bg_devs = sorted(d for d in spec.keys if d != pharm)
    bg: list[tuple[str, bytes]] = []
    for k in range(int(spec.bg_rate * (spec.verdicts * 0.03 + 5))):
        dev = bg_devs[k % len(bg_devs)]
        dkid, dseed = spec.keys[dev]
        bg.append(
            (
                f"{spec.prefix}trace/v1/{dev}/events",
                env_mod.build(
                    device=dev,
                    key_id=dkid,
                    seed=dseed,
                    seq=spec.seq0 + k // len(bg_devs),
                    events=[_event(f"{spec.tag}bg{k}")],
                ),
            )
        )
    sub = _client(spec.host, spec.port, on_message)
    sub.subscribe(reply, qos=1)
    pub = _client(spec.host, spec.port)
    bgc = _client(spec.host, spec.port)
    time.sleep(0.5)
    conn.send(("ready", len(asks)))
    conn.recv()
    stop = threading.Event()

    def background() -> None:
        gap = 1.0 / spec.bg_rate if spec.bg_rate > 0 else 0.0
        nxt = time.monotonic()
        for topic, payload in bg:
            if stop.is_set():
                return
            bgc.publish(topic, payload, qos=1)
            nxt += gap
            time.sleep(max(0.0, nxt - time.monotonic()))

    bt = threading.Thread(target=background, daemon=True)
    if spec.bg_rate > 0 and bg:
        bt.start()
    lat: list[float] = []
    verdicts: dict[str, int] = {}
    missing = 0
    for i, payload in enumerate(asks):
        seq = str(spec.seq0 + i)
        t0 = time.monotonic()
        pub.publish(f"{spec.prefix}trace/v1/{pharm}/events", payload, qos=1)
        with cond:
            ok = cond.wait_for(lambda s=seq: s in got, timeout=10)  # type: ignore[misc]
        if not ok:
            missing += 1
            continue
        t1, vs = got[seq]
        lat.append((t1 - t0) * 1000)
        for v in vs:
            verdicts[v] = verdicts.get(v, 0) + 1
        time.sleep(0.02)
    stop.set()
    conn.send(("verdicts", lat, verdicts, missing))
    conn.recv()
    for c in (sub, pub, bgc):
        c.disconnect()
        c.loop_stop()
