"""The hand-off to the decode workers alone: ``python -m bench.handoff [--n N] [--json]``.

Signed single-event envelopes (the bench's usual event) are decoded by one
:class:`gateway.decode_pool.DecodePool` worker in chunks of 1, 4, 16 and 64 messages, the gateway
side exactly as :class:`gateway.chunks.ChunkFeeder` does it (submit, wait, ``outcomes`` =
:func:`~gateway.decode_pool.from_wire`). CPU per message, from the same run: the gateway side by
``time.process_time`` (this process), the worker side from ``/proc`` (its ticks), and for
comparison the whole decode of one message in this process (``Decoder.decode``) and the
gateway's re-parse alone (``from_wire``). The registry is a SQLite file made here; no broker, no
PostgreSQL. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._cpu import snapshot
from bench._ingest_gen import _event

CHUNKS = (1, 4, 16, 64)


def _worker_ticks(pids: list[int]) -> int:
    procs = snapshot().procs
    return sum(procs[p].ticks for p in pids if p in procs)


def _collect(fut: Any, chunk: list[tuple[str, bytes, datetime]]) -> None:
    from gateway.decode_pool import outcomes

    outcomes(fut.result(), chunk, max_payload=256 * 1024)


def run(n: int) -> dict[str, Any]:
    from bench._ingest_phases import provision
    from gateway.decode import Decoder
    from gateway.decode_pool import DecodePool, WorkerSpec, from_wire, to_wire
    from gateway.key_cache import KeyCache, sql_loader
    from traceability.signing import envelope as env_mod
    from traceability.store.engine import create_engine, upgrade

    folder = Path(tempfile.mkdtemp(prefix="suyuan-handoff-"))
    url = f"sqlite:///{folder / 'registry.db'}"
    upgrade(url=url)
    engine = create_engine(url=url)
    devices = [f"hand-{i}" for i in range(8)]
    keys = provision(engine, devices)
    items: list[tuple[str, bytes, datetime]] = []
    for k in range(n):
        dev = devices[k % len(devices)]
        kid, seed = keys[dev]
        payload = env_mod.build(
            device=dev, key_id=kid, seed=seed, seq=1 + k // len(devices), events=[_event(f"H{k}")]
        )
        items.append((f"trace/v1/{dev}/events", payload, datetime.now(UTC)))
    local = Decoder(keys=KeyCache(sql_loader(engine)), max_payload=256 * 1024, clock_skew_s=300)
    for t, p, r in items[:50]:
        local.decode(t, p, r, check_seen=False)
    c = time.process_time()
    wires = [to_wire(local.decode(t, p, r, check_seen=False)) for t, p, r in items]
    decode_us = (time.process_time() - c) / n * 1e6
    c = time.process_time()
    for w, it in zip(wires, items, strict=True):
        from_wire(w, it, max_payload=256 * 1024)
    from_wire_us = (time.process_time() - c) / n * 1e6
    spec = WorkerSpec(database_url=url, max_payload=256 * 1024, clock_skew_s=300)
    pool = DecodePool(spec, 1)
    pool.warm()
    pids = [p.pid for p in mp.active_children() if p.pid]
    out: dict[str, Any] = {
        "messages": n,
        "decode_in_process_us_per_message": round(decode_us, 1),
        "from_wire_us_per_message": round(from_wire_us, 1),
        "chunks": {},
    }
    try:
        for size in CHUNKS:
            for k in range(0, 4 * size, size):  # warm: the worker's key cache and shapes
                pool.submit(items[k : k + size]).result()
            w0, c0, t0 = _worker_ticks(pids), time.process_time(), time.perf_counter()
            in_flight = []
            for k in range(0, n, size):
                in_flight.append((pool.submit(items[k : k + size]), items[k : k + size]))
                if len(in_flight) >= 2:  # two chunks per worker in flight, as the feeder
                    fut, chunk = in_flight.pop(0)
                    _collect(fut, chunk)
            for fut, chunk in in_flight:
                _collect(fut, chunk)
            gw_us = (time.process_time() - c0) / n * 1e6
            wall = time.perf_counter() - t0
            worker_us = (_worker_ticks(pids) - w0) / os.sysconf("SC_CLK_TCK") / n * 1e6
            out["chunks"][str(size)] = {
                "gateway_cpu_us_per_message": round(gw_us, 1),
                "worker_cpu_us_per_message": round(worker_us, 1),
                "messages_per_s": round(n / wall),
            }
    finally:
        pool.shutdown()
        engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = run(args.n)
    if not args.json:
        print(json.dumps(result, indent=1), file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
