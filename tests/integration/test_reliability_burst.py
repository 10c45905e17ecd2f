"""Reliability: a store-and-forward burst against a broker with Mosquitto's stock limits.

20,000 single-event envelopes, queued offline in the outboxes of four devices (as a site's
devices do while its network is down), then published at QoS 1 by the device SDK all at once
to a private Mosquitto left at its defaults (1,000 queued messages per client), with
``tracectl gateway`` running. The broker PUBACKs every one and drops what overflows its queue
for the gateway ("Outgoing messages are being dropped"); the devices keep every envelope until
the gateway confirms it on ``trace/v1/{device}/stored`` and re-send the rest, so every envelope
is stored exactly once and every outbox drains.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.keys import DeviceKeyPair
from devices.publisher import Publisher
from tests.integration.test_reliability_gateway import (
    assert_exactly_once,
    count,
    start_gateway,
    stop,
)
from tests.support.gateway import PrivateBroker, event, provision, wait_for
from traceability.store.engine import create_engine

DEVICES, PER_DEVICE = 4, 5_000  # 20,000 envelopes of one event each
SHARED = "$share/gateways/trace/v1/+/events"


@pytest.fixture
def stock_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    b = PrivateBroker(tmp_path, stock_limits=True).start()
    try:
        yield b
    finally:
        b.stop()


def test_reliability_burst_of_20000_envelopes_against_stock_broker_limits(
    pg_url: str, stock_broker: PrivateBroker, tmp_path: Path
) -> None:
    assert "max_queued_messages" not in stock_broker.conf.read_text()  # the default: 1,000
    engine = create_engine(url=pg_url)
    tag = uuid.uuid4().hex[:6]
    devs = [f"burst-{i}" for i in range(DEVICES)]
    keys = {d: DeviceKeyPair.generate(d) for d in devs}
    provision(engine, devs, seeds={d: k.seed for d, k in keys.items()})
    gw = start_gateway(pg_url, stock_broker, "gw-burst")
    pubs = [
        Publisher(
            key=keys[d],
            broker_url=stock_broker.url,
            data_dir=tmp_path / "devices",
            client_id=f"pub-{d}",
            window=2_000,  # 8,000 unconfirmed at once: far past the broker's queue
            confirm_timeout_s=20.0,
            # MQTT 3.1.1: no receive maximum from the broker paces the devices (over MQTT 5
            # Mosquitto grants 20 in flight per client), so the backlog arrives at once
            protocol=4,
        )
        for d in devs
    ]
    try:
        for k, p in enumerate(pubs):  # the backlog, queued while "offline"
            p.send_many([[event(f"{tag}{k}-{i}")] for i in range(PER_DEVICE)])
        assert all(p.pending() == PER_DEVICE for p in pubs)
        assert wait_for(lambda: stock_broker.subscribed("gw-burst", SHARED), 30)
        t0 = time.monotonic()
        for p in pubs:
            p.start()
        for p in pubs:  # bounded: a lost envelope fails here instead of hanging
            assert p.wait_drained(timeout=240), f"{p.device}: {p.pending()} not confirmed"
        took = time.monotonic() - t0
        assert_exactly_once(engine, DEVICES * PER_DEVICE, timeout=30)
        assert count(engine, "select count(*) from envelope_seen") == DEVICES * PER_DEVICE
        assert count(engine, "select count(*) from dead_letter") == 0
        assert gw.poll() is None
        log = stock_broker.log.read_text("utf-8", "replace")
        dropped = log.count("Outgoing messages are being dropped")
        resent = sum(p.resent for p in pubs)
        assert dropped >= 1, "the broker dropped nothing: this burst did not test its limits"
        assert resent >= 1
        print(
            f"burst: {DEVICES * PER_DEVICE} envelopes in {took:.1f}s; re-sent {resent}; "
            f"broker drop warnings {dropped}"
        )
    finally:
        for p in pubs:
            p.close(drain_timeout=0.1)
        stop(gw)
        engine.dispose()
