"""The ingest benchmark's measuring side: the gateway's ``on_commit`` recorder, the raw verify
rate, latency percentiles, device provisioning, and the phases that drive a generator process
(:mod:`bench._ingest_gen`) and turn its timings and the database's counts into results."""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress
from sqlmodel import Session

from bench._cpu import CpuMeter
from bench._ingest_gen import GenSpec, _event, generator

console = Console(stderr=True)
SGLN = "urn:epc:id:sgln:0614141.00001.0"


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
    from traceability.signing import ed25519 as signing
    from traceability.signing import envelope as env_mod

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
    names = {os.getpid(): "gateway"}  # this process: the gateway's MQTT, collector, writer
    names.update({p.pid: "gateway_decode" for p in mp.active_children() if p.pid})
    names[proc.pid or 0] = "generator"
    meter = CpuMeter(names).start()  # envelopes are built and signed: only the load counts
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
    cpu = meter.stop(events=(rec.committed.value - start_committed) * spec.per_envelope)
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
        "cpu": cpu,
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
    from traceability.signing import ed25519 as signing

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
