"""``bench.trace`` end to end at a small size on TimescaleDB: its JSON, a kept database reused,
and the loaded store audits clean (the loader writes the same signed, ledgered records)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session

from bench import trace
from tests.conftest import pg_base_url
from traceability.ledger.audit import audit
from traceability.store.engine import create_engine


def test_small_run_and_reuse() -> None:
    seed = uuid.uuid4().int % 10**6
    server = pg_base_url()
    result = trace.run(server, sizes=[1500, 3000], seed=seed, big=500, samples=20)
    try:
        assert result["events"] >= 3000
        assert result["backward_p95_ms"] > 0 and result["forward_p95_ms"] > 0
        assert result["growth"] > 0
        assert result["recall_export_s"] > 0
        rows = result["sizes"][-1]["recall_rows"]
        assert rows["Shipping"] > 0 and rows["Receiving"] > 0
        url, targets = trace.ensure(server, seed=seed, events=3000, big=500, fresh=False)
        assert targets["events"] == result["events"]  # reused, not rebuilt
        eng = create_engine(url=url)
        with Session(eng) as s:
            assert audit(s).ok
            assert s.connection().execute(sa.text("select count(*) from recall")).scalar() == 0
        eng.dispose()
    finally:
        admin = create_engine(url=trace._server(server, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            for n in (1500, 3000):
                c.execute(
                    sa.text(
                        f"drop database if exists suyuan_bench_trace_{seed}_{n}_500 with (force)"
                    )
                )
        admin.dispose()
