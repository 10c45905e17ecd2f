"""``bench.ingest`` end to end at a small size (real Mosquitto, real TimescaleDB): its JSON keeps
its keys and carries, from the same run, the batched phase's COPY baseline and the ratio to it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench import ingest
from tests.support.gateway import PrivateBroker


def test_small_run(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broker = PrivateBroker(tmp_path).start()
    monkeypatch.setenv("TRACE_BENCH_MQTT_URL", broker.url)
    args = argparse.Namespace(
        events=1000,
        single_events=100,
        devices=4,
        workers=1,
        batch_size=2000,
        batch_ms=50,
        window=200,
        verdicts=5,
        bg_rate=20.0,
    )
    try:
        result = ingest.run(pg_url, args)
    finally:
        broker.stop()
    single, batched = result["single"], result["batched"]
    for phase, n in ((single, 100), (batched, 1000)):
        assert phase["events"] == n
        assert phase["lost"] == phase["duplicates"] == 0
        assert phase["events_per_s"] > 0
        assert phase["ratio_to_verify"] > 0
        assert phase["cpu"]["machine_busy_us_per_event"] > 0
    base = batched["copy_baseline_events_per_s"]
    assert base > 0
    assert batched["ratio_to_copy"] == round(batched["events_per_s"] / base, 3)
    assert result["ledger_duplicate_entries"] == 0
    assert set(result["meets_target"]) >= {"single_ratio", "batched_ratio", "no_loss_no_dup"}
    assert result["verdict_detail"]["missing"] == 0
    # with a worker, the batched phase's messages reach it in chunks (gateway.chunks)
    assert batched["messages_per_chunk"] is None or batched["messages_per_chunk"] >= 1
