"""Ingest benchmark: ``python -m bench.ingest [--events N] [--devices D] [--quick] [--json]``.

End to end through the real Mosquitto (``TRACE_BENCH_MQTT_URL``, default mqtt://127.0.0.1:1883)
into a fresh TimescaleDB database created here from scratch (``upgrade``) and dropped afterwards
(server from ``TRACE_BENCH_DATABASE_URL``, default postgresql://postgres@127.0.0.1:5432).

* Setup: D devices at one location, each with an Ed25519 key registered through
  ``traceability.registry.keys.register_key`` (so each key is also a ledger entry).
* Gateway: in this process, :class:`gateway.service.Gateway` (its MQTT, decode, collector and
  writer threads) with ``--workers`` decode processes (0 = decode in a thread). Its topics get a
  run-specific prefix (``bench/<run>/trace/v1/...``) so that other gateways on the shared broker
  neither see this load nor feed theirs into it.
* Load generator: its OWN process (multiprocessing, spawn). All envelopes are built and signed
  before timing starts; it then publishes them at QoS 1 over one MQTT 5 connection
  (TCP_NODELAY), keeping at most ``--window`` envelopes published but not yet committed (the
  gateway's commit count is shared memory), so the broker's per-client queue never overflows.
* Latency (per envelope) = commit time - publish time, both ``time.monotonic()`` (CLOCK_MONOTONIC,
  one clock for all processes on Linux): the generator takes it just before ``publish()``; the
  gateway's ``on_commit`` hook takes it right after the batch transaction committed, before the
  PUBACKs. It includes queueing behind the window, so it is a saturation latency.
* Throughput = events committed / (last commit - first publish).
* lost = sent - distinct stored events, duplicates = stored rows beyond one per event: counted
  in the database (``event`` rows by the phase's serial prefix, ``ledger_entry`` by event hash).
* ratio_to_verify = events/s / raw single-core Ed25519 verify rate of the gateway's own verify
  (PyNaCl/libsodium ``crypto_sign_open`` on a single-event envelope's signing bytes), measured in
  this run before the gateway starts.
* single = 1 event per envelope, batched = 50. Verdicts: a pharmacy device dispenses serials
  commissioned in the single phase with ``reply_to``, one at a time, while a background thread
  publishes ``--bg-rate`` single-event envelopes/s; latency = publish -> verdict receipt on the
  device side (same process, same clock).

  The broker matters here: Mosquitto's default (``set_tcp_nodelay false``) lets Nagle hold the
  small packets of a verdict round trip, ~20 ms each way here; the project's broker configs
  set it. Unless ``TRACE_BENCH_MQTT_URL`` is given (or ``--shared-broker``), the bench starts
  its own Mosquitto with those settings on a spare loopback port.

Progress goes to stderr; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress
from sqlmodel import Session

console = Console(stderr=True)
SGLN = "urn:epc:id:sgln:0614141.00001.0"
PER_BATCHED = 50


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


# --- the load generator (its own process) ------------------------------------------------------


def _event(serial: str, step: str = "commissioning") -> dict[str, Any]:
    from gateway.testing import event

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


# --- the gateway side --------------------------------------------------------------------------


class Recorder:
    """``on_commit`` hook: commit time per (device, seq), and a shared count of acked messages."""

    def __init__(self, committed: Synchronized) -> None:  # type: ignore[type-arg]
        self.committed = committed
        self.times: dict[tuple[str, str], float] = {}
        self.events = 0

    def __call__(self, result: Any) -> None:
        t = time.monotonic()
        for acc in result.stored:
            self.times.setdefault((acc.envelope.device, acc.envelope.seq), t)
        self.events += result.events_stored
        n = len(result.stored) + len(result.duplicates) + len(result.refused)
        with self.committed.get_lock():
            self.committed.value += n


def verify_rate(seconds: float = 0.4, rounds: int = 5) -> float:
    """Raw single-core verifies/s with the gateway's own verify on a single-event envelope."""
    from gateway.decode import _verify, fast_signing_bytes
    from traceability.signing import envelope as env_mod
    from traceability.signing import service as signing

    seed, pub = signing.generate_keypair()
    payload = env_mod.build(
        device="bench-v", key_id=signing.key_id(pub), seed=seed, seq=1, events=[_event("v1")]
    )
    env = env_mod.Envelope.from_json(payload)
    msg = fast_signing_bytes(env)
    assert msg is not None and _verify(pub, msg, env.sig)
    rates = []
    for _ in range(rounds):
        n, t0 = 0, time.perf_counter()
        while (el := time.perf_counter() - t0) < seconds:
            for _ in range(100):
                _verify(pub, msg, env.sig)
            n += 100
        rates.append(n / el)
    return statistics.median(rates)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))]


def run_phase(
    name: str, spec: GenSpec, rec: Recorder, engine: sa.Engine, verify_per_s: float
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=generator, args=(spec, child, rec.committed), daemon=True)
    console.log(f"[{name}] building {spec.events} events in envelopes of {spec.per_envelope}")
    proc.start()
    _, n_env = parent.recv()
    start_committed = rec.committed.value
    parent.send("go")
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(name, total=n_env)
        last, idle = -1, time.monotonic()
        while True:
            done = rec.committed.value - start_committed
            bar.update(task, completed=done)
            if done >= n_env:
                break
            if done != last:
                last, idle = done, time.monotonic()
            elif time.monotonic() - idle > 30:
                console.log(f"[{name}] stalled at {done}/{n_env}")
                break
            time.sleep(0.05)
    _, sent = parent.recv()
    parent.send("done")
    proc.join(15)
    devs = sorted(spec.keys)
    lat: list[float] = []
    commits: list[float] = []
    for k, t_pub in enumerate(sent):
        key = (devs[k % len(devs)], str(spec.seq0 + k // len(devs)))
        t_commit = rec.times.get(key)
        if t_commit is not None:
            lat.append((t_commit - t_pub) * 1000)
            commits.append(t_commit)
    events_sent = len(sent) * spec.per_envelope
    elapsed = (max(commits) - sent[0]) if commits else float("nan")
    with engine.connect() as c:
        rows, distinct = c.execute(
            sa.text(
                "select count(*), count(distinct event_hash) from event "
                "where body->'epcList'->>0 like :pat"
            ),
            {"pat": f"urn:epc:id:sgtin:0614141.812345.{spec.tag}%"},
        ).one()
    rate = len(commits) * spec.per_envelope / elapsed if commits else 0.0
    return {
        "events": events_sent,
        "envelopes": len(sent),
        "events_per_s": round(rate),
        "p50_ms": round(pct(lat, 0.5), 2),
        "p99_ms": round(pct(lat, 0.99), 2),
        "lost": events_sent - int(distinct),
        "duplicates": int(rows) - int(distinct),
        "ratio_to_verify": round(rate / verify_per_s, 3),
        "elapsed_s": round(elapsed, 2),
        "window": spec.window,
    }


def run_verdicts(spec: GenSpec) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=generator, args=(spec, child, None), daemon=True)
    console.log(f"[verdicts] {spec.verdicts} dispensings, background {spec.bg_rate:.0f}/s")
    proc.start()
    parent.recv()
    parent.send("go")
    _, lat, verdicts, missing = parent.recv()
    parent.send("done")
    proc.join(15)
    return {
        "p50_ms": round(pct(lat, 0.5), 2),
        "p99_ms": round(pct(lat, 0.99), 2),
        "n": len(lat),
        "missing": missing,
        "verdicts": verdicts,
    }


def provision(engine: sa.Engine, devices: list[str]) -> dict[str, tuple[str, bytes]]:
    from traceability.registry.keys import register_key
    from traceability.registry.models import Device, Location, Party
    from traceability.signing import service as signing

    keys: dict[str, tuple[str, bytes]] = {}
    at = datetime.now(UTC) - timedelta(days=1)
    with Session(engine) as s:
        s.add(Party(id="p-bench", name="Bench party", roles=["producer"]))
        s.flush()
        s.add(Location(id="loc-bench", name="Bench site", sgln=SGLN, party_id="p-bench"))
        s.flush()
        for dev in devices:
            s.add(Device(id=dev, location_id="loc-bench", party_id="p-bench"))
        s.flush()
        for dev in devices:
            seed, pub = signing.generate_keypair()
            register_key(s, device_id=dev, public_key=pub, at=at)
            keys[dev] = (signing.key_id(pub), seed)
        s.commit()
    return keys


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from gateway.config import GatewayConfig
    from gateway.service import Gateway
    from traceability.store.service import create_engine, upgrade

    mq = urlparse(os.environ.get("TRACE_BENCH_MQTT_URL", "mqtt://127.0.0.1:1883"))
    host, port = mq.hostname or "127.0.0.1", mq.port or 1883
    run_id = uuid.uuid4().hex[:8]
    console.log(f"database {url.rsplit('/', 1)[-1]}: migrating")
    upgrade(url=url)
    engine = create_engine(url=url)
    devices = [f"bench-{run_id}-{i:03d}" for i in range(args.devices)]
    pharmacy = f"bench-{run_id}-pharm"
    keys = provision(engine, [*devices, pharmacy])
    dev_keys = {d: keys[d] for d in devices}
    console.log("measuring the raw verify rate")
    vps = verify_rate()
    console.log(f"verify: {vps:,.0f}/s on one core")
    committed: Any = mp.get_context("spawn").Value("q", 0)
    rec = Recorder(committed)
    prefix = f"bench/{run_id}/"
    cfg = GatewayConfig(
        database_url=url,
        mqtt_host=host,
        mqtt_port=port,
        embedded=False,
        client_id=f"gw-bench-{run_id}",
        username=None,
        password=None,
        batch_size=args.batch_size,
        batch_ms=args.batch_ms,
        max_payload=256 * 1024,
        clock_skew_s=300,
        session_expiry_s=30,
        share_group=f"bench{run_id}",
        decode_workers=args.workers,
        topic_prefix=prefix,
    )
    mode = (
        f"in-process Gateway thread(s) + {args.workers} decode process(es)"
        if args.workers
        else "in-process Gateway, decode in a thread"
    )
    console.log(f"gateway: {mode}")
    out: dict[str, Any] = {}
    gw = Gateway(cfg, on_commit=rec).start()
    try:
        time.sleep(0.5)
        common: dict[str, Any] = {"host": host, "port": port, "prefix": prefix, "keys": dev_keys}
        n_single = args.events // 5 if args.single_events is None else args.single_events
        out["single"] = run_phase(
            "single",
            GenSpec(
                mode="load",
                events=n_single,
                per_envelope=1,
                window=args.window,
                tag="S",
                seq0=1,
                **common,
            ),
            rec,
            engine,
            vps,
        )
        console.log(f"single: {out['single']}")
        out["batched"] = run_phase(
            "batched",
            GenSpec(
                mode="load",
                events=args.events,
                per_envelope=PER_BATCHED,
                window=max(4, args.window * 2 // PER_BATCHED),
                tag="B",
                seq0=1_000_000,
                **common,
            ),
            rec,
            engine,
            vps,
        )
        console.log(f"batched: {out['batched']}")
        serials = tuple(f"S{i}" for i in range(min(n_single, args.verdicts)))
        v = run_verdicts(
            GenSpec(
                mode="verdict",
                events=0,
                per_envelope=1,
                window=0,
                tag="V",
                seq0=2_000_000,
                verdicts=len(serials),
                bg_rate=args.bg_rate,
                pharmacy=pharmacy,
                dispense=serials,
                host=host,
                port=port,
                prefix=prefix,
                keys=keys,
            )
        )
        console.log(f"verdicts: {v}")
    finally:
        gw.stop()
    with engine.connect() as c:
        dl: dict[str, int] = {
            str(r[0]): int(r[1])
            for r in c.execute(sa.text("select reason, count(*) from dead_letter group by reason"))
        }
        ledger_dups = c.execute(
            sa.text(
                "select count(*) - count(distinct event_hash) from ledger_entry "
                "where event_hash is not null"
            )
        ).scalar_one()
    engine.dispose()
    s, b = out["single"], out["batched"]
    out.update(
        {
            "verdict_p50_ms": v["p50_ms"],
            "verdict_p99_ms": v["p99_ms"],
            "verdict_detail": v,
            "verify_per_s_single_core": round(vps),
            "dead_letters": {str(k): int(n) for k, n in dl.items()},
            "ledger_duplicate_entries": int(ledger_dups),
            "gateway": mode,
            "cpus": os.cpu_count(),
            "config": {
                "devices": args.devices,
                "batch_size": args.batch_size,
                "batch_ms": args.batch_ms,
                "workers": args.workers,
                "bg_rate": args.bg_rate,
            },
            "meets_target": {
                "single_events_per_s": s["events_per_s"] >= 5000,
                "single_ratio": s["ratio_to_verify"] >= 0.35,
                "batched_events_per_s": b["events_per_s"] >= 30000,
                "verdict_p50": v["p50_ms"] < 5,
                "verdict_p99": v["p99_ms"] < 25,
                "no_loss_no_dup": s["lost"]
                == s["duplicates"]
                == b["lost"]
                == b["duplicates"]
                == ledger_dups
                == 0
                and v["missing"] == 0,
            },
        }
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Ingest benchmark (see the module docstring)")
    ap.add_argument("--events", type=int, default=100_000, help="events in the batched phase")
    ap.add_argument(
        "--single-events",
        type=int,
        default=None,
        help="events in the single phase (default events/5)",
    )
    ap.add_argument("--devices", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2, help="decode processes (0 = a thread)")
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--batch-ms", type=int, default=50)
    ap.add_argument(
        "--window",
        type=int,
        default=2000,
        help="envelopes published but not committed (single; batched: 2x/50)",
    )
    ap.add_argument("--verdicts", type=int, default=300)
    ap.add_argument("--bg-rate", type=float, default=200.0)
    ap.add_argument("--quick", action="store_true", help="small run (smoke test)")
    ap.add_argument("--keep-db", action="store_true", help="do not drop the database")
    ap.add_argument("--json", action="store_true", help="only the JSON line on stdout")
    ap.add_argument(
        "--shared-broker",
        action="store_true",
        help="use mqtt://127.0.0.1:1883 instead of a private Mosquitto",
    )
    args = ap.parse_args()
    if args.quick:
        args.events, args.verdicts = min(args.events, 20_000), min(args.verdicts, 60)
        args.single_events = args.single_events or 4000
    base = os.environ.get("TRACE_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432")
    base = base.rstrip("/")
    if urlparse(base).path not in ("", "/"):
        base = base.rsplit("/", 1)[0]
    from traceability.store.service import create_engine

    name = f"suyuan_bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url=f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"create database {name}"))
    broker = None
    if "TRACE_BENCH_MQTT_URL" not in os.environ and not args.shared_broker:
        # a real Mosquitto with the project's broker settings (set_tcp_nodelay, persistence,
        # big queues), on a spare loopback port, so other clients of the shared broker
        # neither slow the run nor receive its load
        from gateway.testing import PrivateBroker

        broker = PrivateBroker(Path(tempfile.mkdtemp(prefix="suyuan-bench-"))).start()
        os.environ["TRACE_BENCH_MQTT_URL"] = broker.url
        console.log(f"broker: private Mosquitto at {broker.url}")
    try:
        result = run(f"{base}/{name}", args)
        result["broker"] = "private mosquitto (project config)" if broker else "given"
    finally:
        if broker is not None:
            broker.stop()
        if args.keep_db:
            console.log(f"kept database {name}")
        else:
            with contextlib.suppress(Exception), admin.connect() as c:
                c.execute(sa.text(f"drop database if exists {name} with (force)"))
        admin.dispose()
    if not args.json:
        for k, val in result.items():
            print(f"{k:26} {val}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
