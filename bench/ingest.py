"""Ingest benchmark: ``python -m bench.ingest [--events N] [--devices D] [--quick] [--json]``.

End to end through the real Mosquitto (``TRACE_BENCH_MQTT_URL``, default mqtt://127.0.0.1:1883)
into a fresh TimescaleDB database created here from scratch (``upgrade``) and dropped afterwards
(server from ``TRACE_BENCH_DATABASE_URL``, default postgresql://postgres@127.0.0.1:5432).

* Setup: D devices at one location, each with an Ed25519 key registered through
  ``traceability.registry.keys.register_key`` (so each key is also a ledger entry).
* Gateway: in this process, :class:`gateway.app.Gateway` (its MQTT, decode, collector and
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
* batched.copy_baseline_events_per_s = the same phase's event rows (up to 50,000) COPYed with
  no Python work (:func:`bench.ledger.copy_baseline`, the baseline ``bench.ledger`` reports),
  measured after the gateway stopped; batched.ratio_to_copy = batched events/s / that.
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
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa

from bench._ingest_gen import GenSpec, RawPublisher, _event, generator
from bench._ingest_phases import (
    SGLN,
    Recorder,
    console,
    pct,
    provision,
    run_phase,
    run_verdicts,
    verify_rate,
)
from bench.ledger import copy_baseline

__all__ = [
    "PER_BATCHED",
    "SGLN",
    "GenSpec",
    "RawPublisher",
    "Recorder",
    "console",
    "generator",
    "main",
    "pct",
    "provision",
    "run",
    "run_phase",
    "run_verdicts",
    "verify_rate",
]

PER_BATCHED = 50


class _ChunkStats:
    """Messages per chunk handed to the decode workers since the last :meth:`take` (None
    without workers, or when every message was decoded in the gateway process)."""

    def __init__(self, gw: Any) -> None:
        self.feeder = gw.pipeline.feeder
        self.last = (0, 0)

    def take(self) -> float | None:
        if self.feeder is None:
            return None
        now = (self.feeder.chunks, self.feeder.messages)
        chunks, messages = now[0] - self.last[0], now[1] - self.last[1]
        self.last = now
        return round(messages / chunks, 1) if chunks else None


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from gateway.app import Gateway
    from gateway.config import GatewayConfig
    from traceability.store.engine import create_engine, upgrade

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
        decode_linger_ms=getattr(args, "linger_ms", 2.0),
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
        chunks = _ChunkStats(gw)
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
        out["single"]["messages_per_chunk"] = chunks.take()
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
        out["batched"]["messages_per_chunk"] = chunks.take()
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
    n_base = min(args.events, 50_000)
    console.log(f"baseline: COPY of {n_base} event rows (bench.ledger.copy_baseline)")
    copy_rate = copy_baseline(
        engine, [_event(f"B{i}") for i in range(n_base)], batch=args.batch_size
    )
    out["batched"]["copy_baseline_events_per_s"] = round(copy_rate)
    out["batched"]["ratio_to_copy"] = round(out["batched"]["events_per_s"] / copy_rate, 3)
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
                "linger_ms": getattr(args, "linger_ms", 2.0),
                "bg_rate": args.bg_rate,
            },
            "meets_target": {
                "single_events_per_s": s["events_per_s"] >= 5000,
                "single_ratio": s["ratio_to_verify"] >= 0.35,
                "batched_events_per_s": b["events_per_s"] >= 30000,
                "batched_ratio": b["ratio_to_copy"] >= 0.7,
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
    ap.add_argument(
        "--linger-ms",
        type=float,
        default=2.0,
        help="the gateway's decode_linger_ms (0: chunks of whatever has arrived)",
    )
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
    from traceability.store.engine import create_engine

    name = f"suyuan_bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url=f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"create database {name}"))
    broker = None
    if "TRACE_BENCH_MQTT_URL" not in os.environ and not args.shared_broker:
        # a real Mosquitto with the project's broker settings (set_tcp_nodelay, persistence,
        # big queues), on a spare loopback port, so other clients of the shared broker
        # neither slow the run nor receive its load
        from tests.support.gateway import PrivateBroker

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
