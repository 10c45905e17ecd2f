"""Two gateway processes on one MQTT 5 shared subscription ($share/gateways/...) on a real
Mosquitto, one TimescaleDB store: one consistent ledger (no gap, no fork, no duplicate) that
``tracectl verify`` accepts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.support.gateway import PrivateBroker, Publisher, event, free_port, provision, wait_for
from traceability.store.engine import create_engine

REPO = Path(__file__).resolve().parents[2]
TRACECTL = str(Path(sys.executable).with_name("tracectl"))
SHARED = "$share/gateways/trace/v1/+/events"
LOG = Path(os.environ.get("TRACE_TEST_GATEWAY_LOG", "/tmp/suyuan-gateway-test.log"))


def gateway(env: dict[str, str], client_id: str, metrics_port: int) -> subprocess.Popen[bytes]:
    with LOG.open("ab") as log:
        return subprocess.Popen(
            [
                TRACECTL,
                "gateway",
                "--log-level",
                "WARNING",
                "--client-id",
                client_id,
                "--metrics-port",
                str(metrics_port),
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def received(port: int) -> int:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith("suyuan_gateway_messages_received_total"):
            return int(float(line.split()[-1]))
    return 0


def scalar(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as c:
        return int(c.execute(sa.text(sql)).scalar_one())


def test_reliability_two_gateways(pg_url: str, tmp_path: Path) -> None:
    broker = PrivateBroker(tmp_path).start()
    engine = create_engine(url=pg_url)
    devs = [f"dev-2g{i}" for i in range(4)]
    prov = provision(engine, devs)
    env = dict(
        os.environ,
        TRACE_DATABASE_URL=pg_url,
        TRACE_MQTT_URL=broker.url,
        TRACE_DATA_DIR=str(tmp_path / "data"),
    )
    ports = [free_port(), free_port()]
    gws = [gateway(env, f"gw-{name}", port) for name, port in zip("ab", ports, strict=True)]
    pub = Publisher("127.0.0.1", broker.port, client_id="pub-2g")
    tag = uuid.uuid4().hex[:6]
    n_env, per, items = 500, 5, 40
    base = datetime.now(UTC) - timedelta(hours=1)
    try:
        assert wait_for(lambda: all(_up(p) for p in ports), 20), "gateways did not start"
        # both gateways must be subscribed before the stream starts (else one takes it all)
        assert wait_for(lambda: all(broker.subscribed(f"gw-{n}", SHARED) for n in "ab"), 20)
        k = 0
        payloads: list[tuple[str, bytes]] = []
        for i in range(1, n_env + 1):
            for dev in devs:
                evs = []
                for _j in range(per):
                    k += 1  # the devices share a pool of items: their chains interleave
                    evs.append(event(f"{tag}{k % items}", when=base + timedelta(milliseconds=k)))
                payloads.append((f"trace/v1/{dev}/events", prov.envelope(dev, i, evs)))
        for topic, payload in payloads:
            pub.publish(topic, payload)
        total = len(payloads) * per
        assert pub.wait_acked(len(payloads), 60)
        assert wait_for(lambda: scalar(engine, "select count(*) from event") >= total, 90), (
            f"{scalar(engine, 'select count(*) from event')} of {total} stored"
        )
        # both gateways did part of the work
        shares = [received(p) for p in ports]
        assert all(s > 0 for s in shares), shares
        assert all(g.poll() is None for g in gws)
        for g in gws:
            g.terminate()
            g.wait(20)
        # one ledger: every event once, indices 0..n-1 with no gap and no duplicate
        assert scalar(engine, "select count(*) from event") == total
        assert scalar(engine, "select count(distinct event_hash) from event") == total
        size = scalar(engine, "select count(*) from ledger_entry")  # + key.register entries
        assert size == total + len(devs)
        assert (
            scalar(engine, "select count(*) from ledger_entry where event_hash is not null")
            == total
        )
        assert scalar(engine, "select count(distinct idx) from ledger_entry") == size
        assert scalar(engine, "select min(idx) from ledger_entry") == 0
        assert scalar(engine, "select max(idx) from ledger_entry") == size - 1
        assert scalar(engine, "select count(distinct ledger_index) from event") == total
        assert (
            scalar(
                engine,
                "select count(*) from event e join ledger_entry l on "
                "l.idx = e.ledger_index and l.event_hash = e.event_hash",
            )
            == total
        )
        assert scalar(engine, "select count(*) from envelope_seen") == len(payloads)
        assert scalar(engine, "select count(*) from dead_letter") == 0
        # no fork: each item's chain is one line through the log (tracectl verify re-walks it)
        cp = subprocess.run(
            [TRACECTL, "ledger", "checkpoint"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cp.returncode == 0, cp.stdout + cp.stderr
        out = subprocess.run(
            [TRACECTL, "verify", "--json"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        report = json.loads(out.stdout)
        assert report["ok"] and report["size"] == size, report
        assert report["checkpoint_size"] == size
    finally:
        pub.close()
        for g in gws:
            if g.poll() is None:
                g.kill()
            g.wait(10)
        broker.stop()
        engine.dispose()


def _up(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1).read()
        return True
    except OSError:
        return False
