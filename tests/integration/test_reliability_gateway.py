"""Reliability: kill -9 the gateway, restart the broker, cut PostgreSQL, bad-input corpus.

Real services, isolated from the other users of the machine: a private Mosquitto (the real
binary, persistence on, big queues) on a spare port, restarted at will; a fresh TimescaleDB
database per test on the shared cluster, reached by the gateway through a TCP proxy in this
process when the test needs to cut it (the shared cluster is never stopped). The gateway runs
as ``tracectl gateway`` subprocesses (its log goes to ``TRACE_TEST_GATEWAY_LOG``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from devices.keys import DeviceKeyPair
from devices.publisher import Publisher as DevicePublisher
from tests.support.gateway import (
    PrivateBroker,
    Provisioned,
    Publisher,
    TcpProxy,
    event,
    provision,
    wait_for,
)
from traceability.store.engine import create_engine

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
LOG = Path(os.environ.get("TRACE_TEST_GATEWAY_LOG", "/tmp/suyuan-gateway-test.log"))


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    b = PrivateBroker(tmp_path).start()
    try:
        yield b
    finally:
        b.stop()


def start_gateway(
    db_url: str, broker: PrivateBroker, client_id: str, **env: str
) -> subprocess.Popen[bytes]:
    full = dict(
        os.environ,
        TRACE_DATABASE_URL=db_url,
        TRACE_MQTT_URL=broker.url,
        TRACE_GATEWAY_CLIENT_ID=client_id,
        **env,
    )
    tracectl = str(Path(sys.executable).with_name("tracectl"))
    with LOG.open("ab") as log:
        return subprocess.Popen(
            [tracectl, "gateway", "--log-level", "WARNING"],
            env=full,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def warm_up(pub: Publisher, engine: sa.Engine, topic: str, payload: bytes) -> None:
    """Publish (duplicates are harmless) until the new gateway has subscribed and stored it."""
    for _ in range(60):
        pub.publish(topic, payload)
        if wait_for(lambda: count(engine, "select count(*) from envelope_seen") >= 1, 0.5):
            return
    raise AssertionError("the gateway never stored the first envelope")


def count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as c:
        return int(c.execute(sa.text(sql)).scalar_one())


def stream(prov: Provisioned, dev: str, n_env: int, per: int, tag: str) -> list[bytes]:
    return [
        prov.envelope(dev, i, [event(f"{tag}{i}-{j}") for j in range(per)])
        for i in range(1, n_env + 1)
    ]


def assert_exactly_once(engine: sa.Engine, expected: int, timeout: float = 60) -> None:
    """``expected`` events, each once, each with its own ledger entry; the log (events and the
    registry's key entries) has indices 0..n-1: no gap, no duplicate."""
    assert wait_for(lambda: count(engine, "select count(*) from event") >= expected, timeout), (
        f"only {count(engine, 'select count(*) from event')} of {expected} events stored"
    )
    time.sleep(0.5)
    assert count(engine, "select count(*) from event") == expected
    assert count(engine, "select count(distinct event_hash) from event") == expected
    assert count(engine, "select count(distinct ledger_index) from event") == expected
    assert (
        count(engine, "select count(*) from ledger_entry where event_hash is not null") == expected
    )
    assert (
        count(
            engine,
            "select count(*) from event e join ledger_entry l "
            "on l.idx = e.ledger_index and l.event_hash = e.event_hash",
        )
        == expected
    )
    size = count(engine, "select count(*) from ledger_entry")
    assert count(engine, "select count(distinct idx) from ledger_entry") == size
    assert count(engine, "select min(idx) from ledger_entry") == 0
    assert count(engine, "select max(idx) + 1 from ledger_entry") == size


def test_reliability_kill9_gateway(pg_url: str, broker: PrivateBroker) -> None:
    engine = create_engine(url=pg_url)
    dev, tag = "dev-k9", uuid.uuid4().hex[:6]
    prov = provision(engine, [dev])
    payloads = stream(prov, dev, 2000, 10, tag)  # 20,000 events
    gw = start_gateway(pg_url, broker, "gw-k9")
    pub = Publisher("127.0.0.1", broker.port, client_id="pub-k9")
    warm_up(pub, engine, f"trace/v1/{dev}/events", payloads[0])
    rng = random.Random(7)
    kill_at = sorted(rng.sample(range(200, 1900), 3))
    try:
        for i, p in enumerate(payloads):
            pub.publish(f"trace/v1/{dev}/events", p)
            if i in kill_at:
                time.sleep(rng.uniform(0.05, 0.5))
                gw.send_signal(signal.SIGKILL)
                gw.wait()
                gw = start_gateway(pg_url, broker, "gw-k9")
        assert pub.wait_acked(len(payloads), 60)
        assert_exactly_once(engine, 20_000)
    finally:
        pub.close()
        stop(gw)
        engine.dispose()


def test_reliability_broker_restart(pg_url: str, broker: PrivateBroker, tmp_path: Path) -> None:
    """Devices (the SDK's store-and-forward publisher, disk outbox) stream while the broker is
    restarted twice; every outbox drains and every event is stored exactly once.

    Root cause of the earlier failures: Mosquitto 2.0 restores a persistent session but not its
    *shared* subscriptions from the persistence file, so until the gateway reconnects and
    subscribes again, a device's PUBLISH is answered "No matching subscribers" (0x10) and the
    broker drops it; the device took that PUBACK as delivery. The device now keeps such an
    envelope and sends it again.
    """
    engine = create_engine(url=pg_url)
    devs = [f"dev-br{i}" for i in range(3)]
    tag = uuid.uuid4().hex[:6]
    keys = {d: DeviceKeyPair.generate(d) for d in devs}
    provision(engine, devs, seeds={d: k.seed for d, k in keys.items()})
    gw = start_gateway(pg_url, broker, "gw-br")
    n_env, per = 400, 5
    pubs = [
        DevicePublisher(
            key=keys[d],
            broker_url=broker.url,
            data_dir=tmp_path / "devices",
            client_id=f"pub-{d}",
            window=50,
            reconnect_max_s=2,
        ).start()
        for d in devs
    ]
    try:
        assert all(p.wait_connected(timeout=10) for p in pubs)
        pubs[0].send([event(f"{tag}warm")])
        assert wait_for(lambda: count(engine, "select count(*) from event") >= 1, 30)
        for i in range(1, n_env + 1):
            for k, p in enumerate(pubs):
                p.send([event(f"{tag}{k}-{i}-{j}") for j in range(per)])
            if i in (120, 260):
                broker.stop()  # SIGTERM: Mosquitto saves its state; devices keep queueing
                time.sleep(1.5)
                broker.start()
            if i % 20 == 0:
                time.sleep(0.02)
        for p in pubs:
            assert p.wait_drained(timeout=60), f"{p.device}: {p.pending()} envelopes queued"
        assert_exactly_once(engine, 1 + len(devs) * n_env * per)
        assert gw.poll() is None
    finally:
        for p in pubs:
            p.close(drain_timeout=1)
        stop(gw)
        engine.dispose()


def test_reliability_postgres_outage(pg_url: str, broker: PrivateBroker) -> None:
    """PostgreSQL unreachable for 10 s (every connection dropped, new ones refused): the
    gateway stops acking, retries with backoff, recovers; nothing lost, nothing twice."""
    engine = create_engine(url=pg_url)
    url = make_url(pg_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    dev, tag = "dev-pg", uuid.uuid4().hex[:6]
    prov = provision(engine, [dev])
    payloads = stream(prov, dev, 600, 5, tag)
    gw = start_gateway(via_proxy, broker, "gw-pg")
    pub = Publisher("127.0.0.1", broker.port, client_id="pub-pg")
    try:
        warm_up(pub, engine, f"trace/v1/{dev}/events", payloads[0])
        for p in payloads[1:200]:
            pub.publish(f"trace/v1/{dev}/events", p)
        assert pub.wait_acked(200, 30)
        assert wait_for(lambda: count(engine, "select count(*) from event") >= 1000, 30)
        proxy.cut()
        cut_at = time.monotonic()
        for p in payloads[200:]:
            pub.publish(f"trace/v1/{dev}/events", p)
        time.sleep(10 - (time.monotonic() - cut_at))
        assert count(engine, "select count(*) from event") == 1000  # nothing while it was down
        assert gw.poll() is None
        proxy.restore()
        assert_exactly_once(engine, 3000, timeout=60)
        assert gw.poll() is None
    finally:
        pub.close()
        stop(gw)
        proxy.close()
        engine.dispose()


def load_generator() -> ModuleType:
    """tests/integration/corpus/make_corpus.py (the fixed device seeds live there)."""
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reliability_bad_input_corpus(pg_url: str, broker: PrivateBroker) -> None:
    """Every file of tests/integration/corpus (see make_corpus.py) is dead-lettered with the
    reason in manifest.json and its exact bytes; every good envelope, interleaved, is stored
    once (repeats are duplicates); the gateway never stops."""
    make_corpus = load_generator()
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    engine = create_engine(url=pg_url)
    seeds = {d: make_corpus.seed_of(d) for d in manifest["devices"]}
    provision(engine, manifest["devices"], revoked=tuple(manifest["revoked"]), seeds=seeds)
    good = [(CORPUS / f).read_bytes() for f in manifest["good"]]
    bad = [
        (e["file"], e["topic"], (CORPUS / e["file"]).read_bytes(), e["reason"])
        for e in manifest["bad"]
    ]
    gw = start_gateway(
        pg_url, broker, "gw-corpus", TRACE_GATEWAY_MAX_PAYLOAD=str(manifest["max_payload"])
    )
    pub = Publisher("127.0.0.1", broker.port, client_id="pub-corpus")
    try:
        warm_up(pub, engine, "trace/v1/dev-c/events", good[0])
        for i, g in enumerate(good[1:] + good[:5]):  # the last five are duplicates
            pub.publish("trace/v1/dev-c/events", g)
            if i < len(bad):
                _name, topic, payload, _ = bad[i]
                pub.publish(topic, payload)
        for _name, topic, payload, _ in bad[len(good) - 1 + 5 :]:
            pub.publish(topic, payload)
        assert wait_for(lambda: count(engine, "select count(*) from dead_letter") >= len(bad), 30)
        assert_exactly_once(engine, len(good))
        with engine.connect() as c:
            rows = c.execute(sa.text("select reason, topic, payload from dead_letter")).all()
        assert len(rows) == len(bad)
        got = {(str(t), bytes(p)): str(r) for r, t, p in rows}
        wrong = {
            name: got.get((topic, payload))
            for name, topic, payload, reason in bad
            if got.get((topic, payload)) != reason
        }
        assert not wrong, f"dead-letter reasons differ from manifest.json: {wrong}"
        assert gw.poll() is None  # never stopped
    finally:
        pub.close()
        stop(gw)
        engine.dispose()


def test_reliability_corpus_matches_generator() -> None:
    """The committed corpus is exactly what make_corpus.py writes (fixed seeds and times)."""
    out = subprocess.run(
        [sys.executable, str(CORPUS / "make_corpus.py"), "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert out.returncode == 0, out.stderr


def test_reliability_corpus_names_its_reasons() -> None:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    reasons = {e["reason"] for e in manifest["bad"]}
    assert {
        "malformed",
        "oversize",
        "topic_mismatch",
        "unknown_device",
        "device_revoked",
        "bad_signature",
        "replayed_seq",
        "invalid_identifier",
        "clock_skew",
        "reader_invalid",
    } <= reasons
    future = datetime.now(UTC) + timedelta(days=365)
    assert future.year < 2099  # far-future-*.json stays in the future
