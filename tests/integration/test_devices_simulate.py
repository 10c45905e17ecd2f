"""A whole scenario through the real Mosquitto: every envelope arrives, in per-device order,
signed by the key the world registers; raw reader JSON goes to the reader topic."""

from __future__ import annotations

import queue
import uuid
from pathlib import Path
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.keys import DeviceKeyPair
from devices.publisher import Publisher
from devices.simulators import build_scenario, publish_scenario
from traceability.readers import ReaderError
from traceability.signing.envelope import Envelope, verify_signature


def _subscriber(url: str, topic: str) -> tuple[mqtt.Client, queue.Queue[tuple[str, bytes]]]:
    parsed = urlparse(url)
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    done: queue.Queue[bool] = queue.Queue()
    c = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"sim-watch-{uuid.uuid4().hex[:8]}",
    )
    c.on_message = lambda _c, _u, m: got.put((m.topic, bytes(m.payload)))
    c.on_subscribe = lambda *_a: done.put(True)
    c.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
    c.loop_start()
    c.subscribe(topic, qos=1)
    done.get(timeout=5)
    return c, got


def test_drug_scenario_arrives_complete_and_in_order(mqtt_url: str, tmp_path: Path) -> None:
    scenario = build_scenario("drug", seed=21)
    client, got = _subscriber(mqtt_url, "trace/v1/+/events")
    try:
        report = publish_scenario(
            scenario, broker_url=mqtt_url, data_dir=tmp_path, rate=None, await_stored=False
        )
        assert report.drained and report.envelopes == len(scenario.batches)
        mine = {d.id for d in scenario.world.devices}
        received: list[Envelope] = []
        while len(received) < report.envelopes:
            topic, payload = got.get(timeout=10)
            env = Envelope.from_json(payload)
            if env.device in mine and topic == f"trace/v1/{env.device}/events":
                received.append(env)
    finally:
        client.disconnect()
        client.loop_stop()
    keys = {d.id: d.key.public_key for d in scenario.world.devices}
    for env in received:
        verify_signature(env, public_key=keys[env.device])
    for device, seqs in report.by_device.items():
        arrived = [e for e in received if e.device == device]
        assert [int(e.seq) for e in arrived] == sorted(int(e.seq) for e in arrived)
        assert [e.seq for e in arrived][-len(seqs) :] == [str(s) for s in seqs]
    expected = [b.events for b in scenario.batches]
    assert sorted(map(str, (e.events for e in received))) == sorted(map(str, expected))
    asked = [e for e in received if e.reply_to]
    assert asked and all(e.reply_to == f"trace/v1/{e.device}/verdicts" for e in asked)


CONFIG = {
    "biz_step": "receiving",
    "antenna_read_points": {"1": "urn:epc:id:sgln:0614141.00001.1"},
    "timezone_offset": "+08:00",
}


def test_raw_reader_json_goes_to_the_reader_topic(mqtt_url: str, tmp_path: Path) -> None:
    device = f"edge-{uuid.uuid4().hex[:8]}"
    client, got = _subscriber(mqtt_url, f"trace/v1/{device}/#")
    raw = {
        "timestamp": "2026-03-01T08:00:00.1Z",
        "eventType": "tagInventory",
        "tagInventoryEvent": {"epcHex": "3074257BF7194E4000001A85", "antennaPort": 1},
    }
    try:
        with Publisher(
            key=DeviceKeyPair.generate(device),
            broker_url=mqtt_url,
            data_dir=tmp_path,
            await_stored=False,  # a bare broker: no gateway confirms
        ) as pub:
            pub.publish_reader(format="impinj-iot/v1", config=CONFIG, messages=[raw])
            with pytest.raises(ReaderError):  # refused before it is queued
                pub.publish_reader(
                    format="impinj-iot/v1", config=CONFIG, messages=[{**raw, "timestamp": "?"}]
                )
            assert pub.wait_drained(timeout=5)
        topics: dict[str, bytes] = {}
        while f"trace/v1/{device}/reader" not in topics:
            topic, payload = got.get(timeout=5)
            topics[topic] = payload
    finally:
        client.disconnect()
        client.loop_stop()
    env = Envelope.from_json(topics[f"trace/v1/{device}/reader"])
    assert env.reader == {"format": "impinj-iot/v1", "config": CONFIG, "messages": [raw]}
    assert [e["epcList"] for e in env.events] == [["urn:epc:id:sgtin:0614141.812345.6789"]]
    assert env.events[0]["readPoint"] == {"id": "urn:epc:id:sgln:0614141.00001.1"}
