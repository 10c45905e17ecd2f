"""``bench.ledger`` end to end at a small size: its JSON, and what it leaves behind.

The all-rows baseline appends (captured) in a transaction it rolls back, then COPYs the rows
into scratch tables it drops: the measured log must be exactly the benchmark's own appends.
"""

from __future__ import annotations

import sqlalchemy as sa

from bench import ledger
from traceability.store.engine import create_engine


def test_small_run(pg_url: str) -> None:
    result = ledger.run(pg_url, 2000)
    assert result["leaves"] == 2001  # the key entry + 2 batches of 1,000
    assert result["audit_ok"] is True
    for key in ("appends_per_s", "baseline_copy_rows_per_s", "baseline_all_rows_per_s"):
        assert result[key] > 0, key
    cpu = result["append_cpu"]  # where the appends' CPU went (bench._cpu), building excluded
    assert cpu["cpu_us_per_event"]["python"] > 0
    assert cpu["cpu_us_per_event"]["postgres_backend"] > 0
    assert cpu["machine_busy_us_per_event"] > 0
    assert cpu["backend_one_core_ceiling_events_per_s"] > 0
    eng = create_engine(url=pg_url)
    try:
        with eng.connect() as c:
            size = c.execute(sa.text("select count(*) from ledger_entry")).scalar()
            events = c.execute(sa.text("select count(*) from event")).scalar()
            scratch = c.execute(
                sa.text("select count(*) from pg_tables where tablename like 'base_%'")
            ).scalar()
    finally:
        eng.dispose()
    assert (size, events, scratch) == (2001, 2000, 0)
