"""Consumer-page benchmark: ``python -m bench.web [--events N] [--json]``; last stdout line =
one JSON object.

The seeded synthetic world of :mod:`bench.trace` (the same loader and the same kept database,
``suyuan_bench_trace_<seed>_<events>_<big>`` on the server of ``TRACE_BENCH_DATABASE_URL``,
default 127.0.0.1:5432 -- built once, reused by later runs unless ``--fresh``) gets its products
registered and the consumer tables migrated. The real app is then served by uvicorn
(``--workers``) on that TimescaleDB and ``--concurrency`` client threads (httpx, keep-alive)
request consumer pages -- Digital Links of the world's lots and serialised items, picked at
random -- for ``--duration`` seconds after a warm-up. Every page view records its scan, as in
production; the per-client scan limit is off (every request comes from 127.0.0.1).

Reports ``requests_per_s``, ``p50_ms``, ``p99_ms`` (client-side latency of 200 answers),
``errors`` (non-200 answers) and ``events``; and where the CPU went (:mod:`bench._cpu`): CPU
microseconds per request of the app's processes, PostgreSQL, the load generator, and
``ceiling_requests_per_s`` = 2 cores x 10^6 / (app + PostgreSQL us per request), what the same
work would reach with both cores serving pages and nothing else running. Targets: >= 300
requests/s, p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

from bench import trace
from bench._cpu import CpuMeter
from traceability.identifiers import epc_urn_to_digital_link
from traceability.registry.models import Product, ProductCategory
from traceability.store.engine import create_engine, upgrade

TARGET_RPS = 300.0
TARGET_P99_MS = 100.0


def _pages(url: str, targets: dict[str, Any]) -> list[str]:
    """The consumer-page paths to request; registers their products (idempotent)."""
    paths = [f"/01/{g}/10/{lot}" for g, lot in targets["produce_lots"] + targets["drug_lots"]]
    for item in targets["items"]:
        if ":sgtin:" in item:
            paths.append("/01/" + epc_urn_to_digital_link(item).split("/01/", 1)[1])
    gtins = sorted({p.split("/")[2] for p in paths})
    eng = create_engine(url=url)
    try:
        with Session(eng) as s:
            for g in gtins:
                if s.get(Product, g) is None:
                    drug = g.startswith("0695")
                    s.add(
                        Product(
                            gtin=g,
                            name=f"bench {'drug' if drug else 'produce'} {g}",
                            category=ProductCategory.drug if drug else ProductCategory.food,
                            party_id="bench",
                        )
                    )
            s.commit()
    finally:
        eng.dispose()
    return paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, data_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "TRACE_DATABASE_URL": url,
        "TRACE_DATA_DIR": str(data_dir),
        "TRACE_CHECKPOINT_INTERVAL_S": "0",
        "TRACE_CONSUMER_SCAN_RATE": "0",
    }
    cmd = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    cmd += ["--log-level", "warning", "--no-access-log"]
    log = (data_dir / "serve.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # imports are slow on a busy machine
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            told = (data_dir / "serve.log").read_text()
            raise RuntimeError(f"uvicorn did not answer (exit {proc.poll()}): {told}")
        time.sleep(0.2)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _load(
    base: str,
    paths: list[str],
    *,
    concurrency: int,
    duration: float,
    warmup: float,
    seed: int,
    server_pid: int | None = None,
) -> dict[str, Any]:
    lat: list[float] = []
    errors: list[int] = []
    sizes: list[int] = []
    lock = threading.Lock()
    start = time.monotonic()
    measure_from, stop = start + warmup, start + warmup + duration
    headers = {"accept": "text/html", "accept-language": "zh-CN,zh;q=0.9", "user-agent": "bench"}

    def worker(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        mine: list[float] = []
        bad, size = 0, 0
        with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
            while (now := time.monotonic()) < stop:
                t = time.perf_counter()
                r = c.get(rng.choice(paths))
                ms = (time.perf_counter() - t) * 1000
                if now >= measure_from:
                    if r.status_code == 200:
                        mine.append(ms)
                        size = max(size, len(r.content))
                    else:
                        bad += 1
        with lock:
            lat.extend(mine)
            errors.append(bad)
            sizes.append(size)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    for th in threads:
        th.start()
    names = {os.getpid(): "load_generator"}
    if server_pid is not None:
        names |= {p: "app" for p in [server_pid, *_children(server_pid)]}
    time.sleep(max(0.0, measure_from - time.monotonic()))
    meter = CpuMeter(names).start()
    time.sleep(max(0.0, stop - time.monotonic()))
    for th in threads:
        th.join()
    cpu = meter.stop(events=max(1, len(lat)))
    lat.sort()

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else 0.0

    return {
        "requests": len(lat),
        "errors": sum(errors),
        "requests_per_s": round(len(lat) / duration, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_page_bytes": max(sizes, default=0),
        "cpu_us_per_request": cpu["cpu_us_per_event"],
        "machine_busy_fraction": cpu["machine_busy_fraction"],
    }


def run(
    server: str,
    *,
    events: int,
    seed: int = 1,
    big: int = 10_000,
    concurrency: int = 16,
    duration: float = 20.0,
    warmup: float = 5.0,
    workers: int = 2,
    fresh: bool = False,
) -> dict[str, Any]:
    url, targets = trace.ensure(server, seed=seed, events=events, big=big, fresh=fresh)
    upgrade(url=url)  # the consumer tables of later migrations
    paths = _pages(url, targets)
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        proc, base = _serve(url, Path(tmp), workers)
        try:
            result = _load(
                base,
                paths,
                concurrency=concurrency,
                duration=duration,
                warmup=warmup,
                seed=seed,
                server_pid=proc.pid,
            )
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    per = result["cpu_us_per_request"]
    serve_us = per.get("app", 0.0) + per.get("postgres", 0.0)
    return {
        **result,
        # both cores doing nothing but the app's and PostgreSQL's work per page (PostgreSQL's
        # share includes other clients of the same server, if any)
        "serve_cpu_us_per_request": round(serve_us, 1),
        "ceiling_requests_per_s": int(2 * 1e6 / serve_us) if serve_us else None,
        "events": targets["events"],
        "pages": len(paths),
        "concurrency": concurrency,
        "workers": workers,
        "duration_s": duration,
        "targets": {"requests_per_s": TARGET_RPS, "p99_ms": TARGET_P99_MS},
        "meets_requests_per_s": result["requests_per_s"] >= TARGET_RPS,
        "meets_p99": 0 < result["p99_ms"] < TARGET_P99_MS,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--big-lot", type=int, default=10_000, help="packs in bench.trace's big lot")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds measured")
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--fresh", action="store_true", help="rebuild the database")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    server = os.environ.get("TRACE_BENCH_DATABASE_URL", trace.DEFAULT_SERVER)
    out = run(
        server,
        events=a.events,
        seed=a.seed,
        big=a.big_lot,
        concurrency=a.concurrency,
        duration=a.duration,
        warmup=a.warmup,
        workers=a.workers,
        fresh=a.fresh,
    )
    print(json.dumps(out) if a.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
