"""Ledger benchmark: ``python -m bench.ledger [--leaves N] [--json]``; last stdout line = JSON.

Measures on TimescaleDB (``TRACE_BENCH_DATABASE_URL``, default a fresh database on
127.0.0.1:5432 created and dropped here): appends/s through ``append_events`` in batches of
1,000 (envelopes of 50 events; ``envelope_bytes`` passed as the gateway has them after verifying
the signature), two baselines in the same run (raw COPY of the same event rows, no hashing; and
every row an append writes, built by the real append and COPYed again into empty copies of the
tables: PostgreSQL's share of an append, the ceiling for any Python speed-up), the
inclusion-proof latency from the store at N leaves (p50/p99 of 2,000 proofs after a warm-up),
and the full audit time (chunks checked across the cores). ``--leaves 1000000`` takes several
minutes on 2 cores (about 40 s of it building and signing the envelopes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rich.progress import Progress
from sqlmodel import Session

from bench._cpu import CpuMeter, ceiling
from traceability.events import event_hash
from traceability.ledger import bulk, merkle, store
from traceability.ledger.append import EVENT_COLS
from traceability.ledger.audit import audit
from traceability.ledger.service import EventSubmission, append_events
from traceability.registry.keys import register_key
from traceability.registry.models import Device, Location, Party
from traceability.signing import ed25519 as signing
from traceability.signing import envelope as env
from traceability.store.engine import create_engine, upgrade

BATCH = 1000
PER_ENVELOPE = 50
T0 = datetime(2026, 11, 27, tzinfo=UTC)


def _event(i: int) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": f"2026-11-{1 + i % 27:02d}T08:00:00Z",
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "epcList": [f"urn:epc:id:sgtin:0614141.812345.{i % 50_000}"],
        "bizStep": "shipping",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
    }


def _signed(seed: bytes, kid: str, seq: int, events: list[dict[str, Any]]) -> tuple[bytes, bytes]:
    """(payload, signing bytes) as ``envelope.build`` makes them, serialised with ``json.dumps``
    (equal to RFC 8785 for these events: ASCII strings and small integers; checked once)."""
    doc: dict[str, Any] = {
        "v": env.ENVELOPE_VERSION,
        "device": "bench-1",
        "key": kid,
        "seq": str(seq),
        "sent_at": "2026-11-27T00:00:00.000Z",
        "events": events,
    }
    body = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    doc["sig"] = signing.b64url(signing.sign(seed=seed, message=body))
    return json.dumps(doc, separators=(",", ":")).encode(), body


def _batch(seed: bytes, kid: str, start: int) -> list[EventSubmission]:
    subs: list[EventSubmission] = []
    for k in range(start, start + BATCH, PER_ENVELOPE):
        payload, body = _signed(seed, kid, k + 1, [_event(i) for i in range(k, k + PER_ENVELOPE)])
        e = env.Envelope.from_json(payload)
        if k == 0 and body != e.signing_bytes():
            raise AssertionError("bench envelopes must be canonical")
        subs += [
            EventSubmission(
                event=x,
                event_hash=event_hash(x),
                envelope=e,
                device_id="bench-1",
                key_id=kid,
                position=j,
                envelope_bytes=body,
            )
            for j, x in enumerate(e.events)
        ]
    return subs


def copy_baseline(eng: Any, events: list[dict[str, Any]], *, batch: int = BATCH) -> float:
    """Events/s of the baseline both benchmarks share: the ``event`` rows of ``events`` (fixed
    hash, time and device: no hashing, no records, no Python work but the COPY text) COPYed
    into a temporary copy of the ``event`` table, ``batch`` rows a statement, one transaction,
    rolled back: what PostgreSQL takes for the rows alone."""
    rows = [
        (
            f"h{i}",
            T0,
            "ObjectEvent",
            "OBSERVE",
            "shipping",
            None,
            "rp",
            None,
            "bench-1",
            i,
            T0,
            json.dumps(ev),
        )
        for i, ev in enumerate(events)
    ]
    with Session(eng) as s:
        s.connection().execute(sa.text("create temp table ev_base (like event including all)"))
        t = time.perf_counter()
        for k in range(0, len(rows), batch):
            bulk.insert(s, "ev_base", EVENT_COLS, rows[k : k + batch])
        took = time.perf_counter() - t
        s.rollback()
    return len(rows) / took if took > 0 else float("nan")


BASE_TABLES = ("ledger_envelope", "ledger_entry", "ledger_item", "event", "trace_edge")


def _all_rows_baseline(eng: Any, seed: bytes, kid: str, first: int, batches: int) -> float:
    """PostgreSQL's share of an append, in events/s: the rows ``batches`` appends write, built by
    the real append in a transaction that is then rolled back (every ``bulk`` call captured),
    COPYed again into empty copies of the five tables (``event`` a hypertable too), one
    transaction per batch of 1,000; no look-up, no Python building."""
    captured: list[list[tuple[str, Any, Any, list[Any]]]] = []
    real_copy, real_stream = bulk.copy, bulk.copy_stream

    def capture(session: Session, table: str, cols: Any, types: Any, rows: Any, *_: Any) -> None:
        rows = list(rows)
        captured[-1].append((table, cols, types, rows))
        real_copy(session, table, cols, types, rows)

    bulk.copy = bulk.copy_stream = capture  # type: ignore[assignment]
    try:
        with Session(eng) as s:
            for b in range(first, first + batches):
                captured.append([])
                append_events(
                    s,
                    submissions=_batch(seed, kid, b * BATCH),
                    recorded_at=T0 + timedelta(seconds=b),
                )
            s.rollback()
    finally:
        bulk.copy, bulk.copy_stream = real_copy, real_stream
    with Session(eng) as s:
        c = s.connection()
        for name in BASE_TABLES:
            c.execute(sa.text(f"create table base_{name} (like {name} including all)"))
        c.execute(
            sa.text(
                "select create_hypertable('base_event', by_range('event_time', interval '7 days'))"
            )
        )
        s.commit()
        t = time.perf_counter()
        for calls in captured:
            for table, cols, types, rows in calls:
                bulk.copy(s, f"base_{table}", cols, types, rows)
            s.commit()
        took = time.perf_counter() - t
        for name in BASE_TABLES:
            s.connection().execute(sa.text(f"drop table base_{name}"))
        s.commit()
    return batches * BATCH / took


def _append_cpu(cpu: dict[str, Any], loop_us: float, build_us: float) -> dict[str, Any]:
    """The append loop's CPU (:mod:`bench._cpu`) less the envelopes' building and signing,
    which happens in the same process between appends and is no part of an append. This
    process's share is from ``time.process_time`` (``loop_us``), finer than /proc's ticks."""
    per = dict(cpu["cpu_us_per_event"])
    per["python"] = round(loop_us - build_us, 1)
    busy = cpu["machine_busy_us_per_event"] - build_us
    return {
        **cpu,
        "cpu_us_per_event": per,
        "machine_busy_us_per_event": round(busy, 1),
        "ceiling_events_per_s": ceiling(busy),
        # one writer appends in one transaction: one PostgreSQL backend, one core, at a time
        "backend_one_core_ceiling_events_per_s": round(1e6 / per["postgres_backend"])
        if per.get("postgres_backend")
        else None,
    }


def run(url: str, leaves: int) -> dict[str, Any]:
    upgrade(url=url)
    eng = create_engine(url=url)
    seed, pub = signing.generate_keypair()
    kid = signing.key_id(pub)
    with Session(eng) as s:
        s.add(Party(id="p", name="p"))
        s.flush()
        s.add(Location(id="l", name="l", party_id="p"))
        s.flush()
        s.add(Device(id="bench-1", location_id="l", party_id="p"))
        s.flush()
        register_key(s, device_id="bench-1", public_key=pub, at=T0 - timedelta(days=1))
        s.commit()
    append_s = build_s = build_cpu = 0.0
    batches = max(1, leaves // BATCH)
    with Session(eng) as s:  # the pooled connection every append below reuses
        backend = int(s.connection().execute(sa.text("select pg_backend_pid()")).scalar_one())
    meter = CpuMeter({os.getpid(): "python", backend: "postgres_backend"}).start()
    loop_cpu = time.process_time()
    with Progress(transient=True, console=None) as bar:
        task = bar.add_task("append", total=batches)
        for b in range(batches):
            t, c = time.perf_counter(), time.process_time()
            subs = _batch(seed, kid, b * BATCH)
            build_s += time.perf_counter() - t
            build_cpu += time.process_time() - c
            t = time.perf_counter()
            with Session(eng) as s:
                append_events(s, submissions=subs, recorded_at=T0 + timedelta(seconds=b))
                s.commit()
            append_s += time.perf_counter() - t
            bar.advance(task)
    n = batches * BATCH
    loop_cpu = time.process_time() - loop_cpu
    cpu = _append_cpu(meter.stop(events=n), loop_cpu / n * 1e6, build_cpu / n * 1e6)
    # baseline: raw COPY of the same event rows (no hashing, no records) into a scratch table
    base_rate = copy_baseline(eng, [_event(i) for i in range(min(n, 50_000))], batch=BATCH)
    all_rows_rate = _all_rows_baseline(eng, seed, kid, batches, min(batches, 50))
    # proof latency from the store
    lat: list[float] = []
    with Session(eng) as s:
        size = store.size(s)
        root = store.root(s, size)
        for i in range(50):  # warm-up (connection, prepared statement, caches): not measured
            store.inclusion_proof(s, index=(i * 104729) % size, size=size)
        for i in range(2000):
            idx = (i * 7919 + i * i * 104729) % size
            t = time.perf_counter()
            proof = store.inclusion_proof(s, index=idx, size=size)
            lat.append((time.perf_counter() - t) * 1000)
            if i < 20:
                leaf = store.get_record(s, index=idx).leaf_hash
                merkle.verify_inclusion(idx, size, leaf, proof, root)
    # full audit
    with Session(eng) as s, Progress(transient=True) as bar:
        task = bar.add_task("audit", total=size)
        t = time.perf_counter()
        report = audit(s, progress=lambda done, total: bar.update(task, completed=done))
        audit_s = time.perf_counter() - t
    eng.dispose()
    rate = n / append_s
    lat.sort()
    p50, p99 = statistics.median(lat), lat[int(len(lat) * 0.99) - 1]
    scale = 1_000_000 / max(size, 1)
    return {
        "leaves": size,
        "batch": BATCH,
        "appends_per_s": round(rate),
        "baseline_copy_rows_per_s": round(base_rate),
        "ratio_to_baseline": round(rate / base_rate, 3),
        "baseline_all_rows_per_s": round(all_rows_rate),
        "ratio_to_all_rows": round(rate / all_rows_rate, 3),
        "envelope_build_s": round(build_s, 2),
        "append_cpu": cpu,
        "proof_ms_p50": round(p50, 3),
        "proof_ms_p99": round(p99, 3),
        "audit_s": round(audit_s, 2),
        "audit_ok": report.ok,
        "audit_s_per_1m_estimate": round(audit_s * scale, 1),
        "cpus": os.cpu_count(),
        "meets_target": {
            "appends": rate >= 50_000,
            "proof": p99 < 2.0,
            "audit": audit_s * scale < 120,
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--leaves", type=int, default=1_000_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    url = os.environ.get("TRACE_BENCH_DATABASE_URL")
    admin = None
    name = None
    if not url:
        name = f"suyuan_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(
            url="postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as c:
            c.execute(sa.text(f"create database {name}"))
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        result = run(url, args.leaves)
    finally:
        if admin is not None:
            with admin.connect() as c:
                c.execute(sa.text(f"drop database if exists {name} with (force)"))
            admin.dispose()
    if not args.json:
        for k, v in result.items():
            print(f"{k:28} {v}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
