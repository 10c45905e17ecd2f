"""The gateway end to end through the real Mosquitto into TimescaleDB (and SQLite)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion

from gateway.app import Gateway
from gateway.config import GatewayConfig
from tests.support.gateway import Publisher, event, provision, wait_for
from traceability.config import Settings
from traceability.store.engine import create_engine


def config_for(db_url: str, mqtt_url: str, **kw: object) -> GatewayConfig:
    cfg = GatewayConfig.from_settings(
        Settings(database_url=db_url, mqtt_url=mqtt_url),
        client_id=f"gw-test-{uuid.uuid4().hex[:8]}",
    )
    return replace(cfg, share_group=f"g{uuid.uuid4().hex[:8]}", **kw)  # type: ignore[arg-type]


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:6]


def count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as c:
        return int(c.execute(sa.text(sql)).scalar_one())


@pytest.fixture
def gw_env(store_url: str, mqtt_url: str) -> Iterator[tuple[sa.Engine, GatewayConfig]]:
    engine = create_engine(url=store_url)
    yield engine, config_for(store_url, mqtt_url)
    engine.dispose()


def test_store_dedupe_deadletter_and_ack(gw_env: tuple[sa.Engine, GatewayConfig], tag: str) -> None:
    engine, cfg = gw_env
    dev = f"dev-{tag}"
    prov = provision(engine, [dev])
    with Gateway(cfg):
        pub = Publisher(cfg.mqtt_host, cfg.mqtt_port)
        topic = f"trace/v1/{dev}/events"
        good = [prov.envelope(dev, i, [event(f"{tag}{i}")]) for i in range(1, 21)]
        for p in good:
            pub.publish(topic, p)
        pub.publish(topic, good[0])  # duplicate: acked, not stored
        pub.publish(topic, prov.envelope(dev, 1, [event(f"{tag}x")]))  # replayed seq
        pub.publish(topic, b"{broken")
        pub.publish(f"trace/v1/other-{tag}/events", good[1])  # topic mismatch
        assert pub.wait_acked(24, 20)
        assert wait_for(lambda: count(engine, "select count(*) from dead_letter") >= 3, 20)
        assert wait_for(lambda: count(engine, "select count(*) from event") >= 20, 20)
        pub.close()
    assert count(engine, "select count(*) from event") == 20
    assert count(engine, "select count(distinct ledger_index) from event") == 20
    with engine.connect() as c:
        reasons = sorted(c.execute(sa.text("select reason from dead_letter")).scalars())
        payload = c.execute(
            sa.text("select payload from dead_letter where reason = 'malformed'")
        ).scalar_one()
    assert reasons == ["malformed", "replayed_seq", "topic_mismatch"]
    assert bytes(payload) == b"{broken"


def test_verdict_reply(pg_url: str, mqtt_url: str, tag: str) -> None:
    engine = create_engine(url=pg_url)
    cfg = config_for(pg_url, mqtt_url)
    dev = f"pharm-{tag}"
    prov = provision(engine, [dev])
    got: list[dict[str, Any]] = []
    arrived = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    u = urlparse(mqtt_url)

    def on_message(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        got.append(json.loads(msg.payload))
        arrived.set()

    sub.on_message = on_message
    sub.connect(u.hostname or "127.0.0.1", u.port or 1883)
    sub.subscribe(f"trace/v1/{dev}/verdicts", qos=1)
    sub.loop_start()
    reply = f"trace/v1/{dev}/verdicts"
    with Gateway(cfg):
        pub = Publisher(cfg.mqtt_host, cfg.mqtt_port)
        topic = f"trace/v1/{dev}/events"
        pub.publish(topic, prov.envelope(dev, 1, [event(f"{tag}1"), event(f"{tag}2")]))
        assert pub.wait_acked(1, 10)
        dispense = [event(f"{tag}1", step="dispensing"), event(f"{tag}9", step="dispensing")]
        for seq, evs in ((2, dispense), (3, [event(f"{tag}1", step="dispensing")])):
            arrived.clear()
            pub.publish(topic, prov.envelope(dev, seq, evs, reply_to=reply))
            assert arrived.wait(10)
        pub.close()
    sub.disconnect()
    sub.loop_stop()
    engine.dispose()
    assert [v["verdict"] for v in got[0]["verdicts"]] == ["ok", "unknown_serial"]
    assert [v["verdict"] for v in got[1]["verdicts"]] == ["already_dispensed"]
