"""``bench.web`` at a tiny size on TimescaleDB: the real app under uvicorn answers consumer
pages under concurrent load; the JSON has the keys and sane values; scans were recorded."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from bench import trace, web
from tests.support.services import pg_base_url
from traceability.store.engine import create_engine


def test_tiny_run() -> None:
    seed = uuid.uuid4().int % 10**6
    server = pg_base_url()
    name = f"suyuan_bench_trace_{seed}_1500_200"
    try:
        out = web.run(
            server, events=1500, seed=seed, big=200, concurrency=2, duration=5.0, warmup=1.0,
            workers=1,
        )  # fmt: skip
        assert {"requests_per_s", "p50_ms", "p99_ms", "events", "targets"} <= out.keys()
        assert out["events"] >= 1500 and out["pages"] > 10
        assert out["requests"] > 0 and out["errors"] == 0
        assert out["requests_per_s"] == round(out["requests"] / 5.0, 1)
        assert 0 < out["p50_ms"] <= out["p99_ms"] < 30_000
        assert 1000 < out["max_page_bytes"] < 100_000
        assert out["meets_p99"] == (out["p99_ms"] < 100)
        assert out["targets"] == {"requests_per_s": 300.0, "p99_ms": 100.0}
        eng = create_engine(url=trace._server(server, name))
        with eng.connect() as c:  # every measured page view was a scan
            scans = c.execute(sa.text("select count(*) from consumer_scan")).scalar_one()
        eng.dispose()
        assert scans >= out["requests"]
    finally:
        admin = create_engine(url=trace._server(server, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f"drop database if exists {name} with (force)"))
        admin.dispose()
