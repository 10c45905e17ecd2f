"""Trace benchmark: ``python -m bench.trace [--events N] [--small M] [--json]``; last stdout
line = one JSON object.

A seeded synthetic world (:mod:`bench._trace_world`: farms -> packers -> distribution centres ->
stores; manufacturers -> wholesalers -> pharmacies) is loaded into TimescaleDB at two sizes
(default 1M and 10M events) through the ledger's own append (signed envelopes of 50 events,
batches of 1,000: the same records, items, events and edges the gateway writes; MQTT is
bypassed). Each size's database (``suyuan_bench_trace_<seed>_<events>`` on the server of
``TRACE_BENCH_DATABASE_URL``, default 127.0.0.1:5432) is kept and reused by later runs unless
``--fresh``. Then, at each size:

- ``backward_p95_ms``: backward traces from items at the end of the chains (a pallet at a
  store, a dispensed pack), through the identifier resolution;
- ``forward_p95_ms``: forward traces of a lot (GTIN + lot: produce and drug lots);
- ``recall_export_s`` (larger size): opening a recall of the big drug lot (>= 10,000 packs,
  one platform-signed ledger event) and its FDA FSMA 204 export (CSVs + XLSX), rolled back.

``growth`` is the larger size's p95 over the smaller's (the worse of backward and forward).
Targets: backward p95 < 50 ms, forward p95 < 250 ms, growth <= 1.5, recall + export < 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa
from rich.progress import Progress
from sqlmodel import Session

from bench._trace_world import T0, World, generate
from traceability.events import event_hash
from traceability.exports import fsma204
from traceability.ledger.service import EventSubmission, append_events
from traceability.recall.service import open_recall
from traceability.registry.keys import register_key
from traceability.registry.models import Device, Location, Party
from traceability.signing import ed25519 as signing
from traceability.signing import envelope as env
from traceability.store.engine import create_engine, upgrade
from traceability.trace import service as trace

BATCH = 1000
PER_ENVELOPE = 50
DEVICE = "bench-trace"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _submissions(seed: bytes, kid: str, seq: int, events: list[dict[str, Any]]) -> list[Any]:
    out: list[EventSubmission] = []
    for k in range(0, len(events), PER_ENVELOPE):
        payload = env.build(
            device=DEVICE,
            key_id=kid,
            seed=seed,
            seq=seq + k,
            events=events[k : k + PER_ENVELOPE],
            sent_at=T0,
        )
        e = env.Envelope.from_json(payload)
        body = e.signing_bytes()
        out += [
            EventSubmission(
                event=x,
                event_hash=event_hash(x),
                envelope=e,
                device_id=DEVICE,
                key_id=kid,
                position=j,
                envelope_bytes=body,
            )
            for j, x in enumerate(e.events)
        ]
    return out


def load(url: str, world: World) -> dict[str, Any]:
    """Build the world's store at ``url`` (migrated, empty); returns its sample targets."""
    upgrade(url=url)
    eng = create_engine(url=url)
    seed, pub = signing.generate_keypair()
    kid = signing.key_id(pub)
    with Session(eng) as s:
        s.add(Party(id="bench", name="bench"))
        s.flush()
        s.add(Location(id="bench", name="bench", party_id="bench"))
        s.flush()
        s.add(Device(id=DEVICE, location_id="bench", party_id="bench"))
        s.flush()
        register_key(s, device_id=DEVICE, public_key=pub, at=T0 - timedelta(days=1))
        s.commit()
    t = time.perf_counter()
    batch: list[dict[str, Any]] = []
    seq = 0
    with Progress(transient=True) as bar:
        task = bar.add_task(f"loading {world.events} events", total=world.events)

        def flush() -> None:
            nonlocal seq
            subs = _submissions(seed, kid, seq, batch)
            seq += len(batch)
            with Session(eng) as s:
                append_events(s, submissions=subs)
                s.commit()
            bar.advance(task, len(batch))
            batch.clear()

        for ev in generate(world):
            batch.append(ev)
            if len(batch) == BATCH:
                flush()
        if batch:
            flush()
    rng = random.Random(world.seed)
    targets = {
        "produce_lots": rng.sample(world.produce_lots, min(300, len(world.produce_lots))),
        "drug_lots": rng.sample(world.drug_lots, min(300, len(world.drug_lots))),
        "items": rng.sample(world.store_items, min(500, len(world.store_items))),
        "big_lot": list(world.big_lot),
        "events": seq,
        "load_s": round(time.perf_counter() - t, 1),
    }
    with eng.begin() as c:
        c.execute(sa.text("analyze"))
        c.execute(sa.text("create table bench_meta (targets text not null)"))
        c.execute(sa.text("insert into bench_meta values (:t)"), {"t": json.dumps(targets)})
    eng.dispose()
    return targets


def _server(url: str, db: str) -> str:
    return urlparse(url)._replace(path="/" + db).geturl()


def ensure(server: str, *, seed: int, events: int, big: int, fresh: bool) -> tuple[str, Any]:
    """The database of (seed, events, big), built now or reused; (url, targets)."""
    name = f"suyuan_bench_trace_{seed}_{events}_{big}"
    url = _server(server, name)
    admin = create_engine(url=_server(server, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            # one builder per database: a second run (bench.web shares these worlds) waits for
            # the first to finish and then reuses its database instead of dropping it mid-build
            c.execute(sa.text("select pg_advisory_lock(hashtext(:n))"), {"n": name})
            exists = c.execute(
                sa.text("select 1 from pg_database where datname = :n"), {"n": name}
            ).first()
            if exists and not fresh:
                eng = create_engine(url=url)
                try:
                    with eng.connect() as d:
                        row = d.execute(sa.text("select targets from bench_meta")).first()
                    if row is not None:
                        return url, json.loads(row[0])
                except sa.exc.ProgrammingError:
                    pass  # an interrupted build: start again
                finally:
                    eng.dispose()
            if exists:
                c.execute(sa.text(f"drop database {name} with (force)"))
            c.execute(sa.text(f"create database {name}"))
            return url, load(url, World(seed=seed, events=events, big_lot_items=big))
    finally:
        admin.dispose()  # closing the connection releases the advisory lock


def _p95(fn: Callable[[Any], Any], targets: list[Any], warm: int = 10) -> float:
    for x in targets[:warm]:
        fn(x)
    lat = []
    for x in targets:
        t = time.perf_counter()
        fn(x)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    return round(lat[max(0, int(len(lat) * 0.95) - 1)], 2) if lat else 0.0


def measure(url: str, targets: dict[str, Any], *, samples: int, recall: bool) -> dict[str, Any]:
    eng = create_engine(url=url)
    out: dict[str, Any] = {"events": targets["events"]}
    with Session(eng) as s:
        items = targets["items"][:samples]
        out["backward_p95_ms"] = _p95(
            lambda i: trace.trace_id(s, direction="backward", text=i), items
        )
        lots = [
            x
            for pair in zip(targets["produce_lots"], targets["drug_lots"], strict=False)
            for x in pair
        ]
        out["forward_p95_ms"] = _p95(
            lambda gl: trace.trace_lot(s, direction="forward", gtin=gl[0], lot=gl[1]),
            lots[:samples],
        )
        out["traces"] = len(items) + len(lots[:samples])
        if recall:
            gtin, lot = targets["big_lot"]
            with tempfile.TemporaryDirectory() as tmp:
                t = time.perf_counter()
                open_recall(
                    s,
                    data_dir=Path(tmp),
                    lots=[(gtin, lot)],
                    level="CN-I",
                    reason="bench",
                    opened_by="bench",
                )
                res = fsma204.export(s, gtin=gtin, lot=lot)
                fsma204.write(res, out_dir=Path(tmp) / "fsma")
                out["recall_export_s"] = round(time.perf_counter() - t, 3)
                out["recall_rows"] = res.counts()
            s.rollback()  # the benchmark's database stays as built
    eng.dispose()
    return out


def run(
    server: str, *, sizes: list[int], seed: int, big: int, samples: int, fresh: bool = False
) -> dict[str, Any]:
    per: list[dict[str, Any]] = []
    for k, n in enumerate(sizes):
        url, targets = ensure(server, seed=seed, events=n, big=big, fresh=fresh)
        per.append(measure(url, targets, samples=samples, recall=k == len(sizes) - 1))
    small, large = per[0], per[-1]

    def ratio(key: str) -> float:
        return round(large[key] / small[key], 3) if small[key] else 0.0

    growth = max(ratio("backward_p95_ms"), ratio("forward_p95_ms"))
    result = {
        "events": large["events"],
        "backward_p95_ms": large["backward_p95_ms"],
        "forward_p95_ms": large["forward_p95_ms"],
        "growth": growth,
        "recall_export_s": large["recall_export_s"],
        "sizes": per,
        "seed": seed,
        "big_lot_items": big,
        "cpus": os.cpu_count(),
    }
    result["meets_target"] = {
        "backward": result["backward_p95_ms"] < 50,
        "forward": result["forward_p95_ms"] < 250,
        "growth": growth <= 1.5,
        "recall_export": result["recall_export_s"] < 2,
    }
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=10_000_000, help="the larger size")
    ap.add_argument("--small", type=int, default=None, help="the smaller size (default /10)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--big-lot", type=int, default=10_000, help="packs in the recalled lot")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--fresh", action="store_true", help="rebuild the databases")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    small = args.small or max(args.events // 10, args.big_lot * 2)
    server = os.environ.get("TRACE_BENCH_DATABASE_URL", DEFAULT_SERVER)
    result = run(
        server,
        sizes=sorted({small, args.events}),
        seed=args.seed,
        big=args.big_lot,
        samples=args.samples,
        fresh=args.fresh,
    )
    if not args.json:
        for key, value in result.items():
            if key != "sizes":
                print(f"{key}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
