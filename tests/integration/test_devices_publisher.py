"""The device publisher against the real Mosquitto: store-and-forward, status/will, verdicts."""

from __future__ import annotations

import json
import queue
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from devices.keys import DeviceKeyPair
from devices.publisher import Publisher
from traceability.signing.envelope import Envelope, verify_signature


class Watcher:
    """A plain MQTT subscriber collecting (topic, payload, retain) tuples."""

    def __init__(self, url: str, topic: str) -> None:
        parsed = urlparse(url)
        self.messages: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"watch-{uuid.uuid4().hex[:8]}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        self.client.on_message = lambda _c, _u, m: self.messages.put(
            (m.topic, bytes(m.payload), bool(m.retain))
        )
        subscribed = queue.Queue[bool]()
        self.client.on_subscribe = lambda *_a: subscribed.put(True)
        self.client.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
        self.client.loop_start()
        self.client.subscribe(topic, qos=1)
        subscribed.get(timeout=5)

    def take(self, n: int, timeout: float = 10.0) -> list[tuple[str, bytes, bool]]:
        out: list[tuple[str, bytes, bool]] = []
        deadline = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            try:
                out.append(self.messages.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                break
        return out

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def device_id() -> str:
    return f"it-dev-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def watchers(mqtt_url: str) -> Iterator[list[Watcher]]:
    made: list[Watcher] = []
    yield made
    for w in made:
        w.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clear_retained(url: str, topic: str) -> None:
    parsed = urlparse(url)
    c = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    c.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
    c.loop_start()
    c.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()


def test_outbox_drains_in_order_after_the_broker_was_unreachable(
    mqtt_url: str, tmp_path: Path, device_id: str, watchers: list[Watcher]
) -> None:
    key = DeviceKeyPair.generate(device_id)
    offline = Publisher(key=key, broker_url=f"mqtt://127.0.0.1:{_closed_port()}", data_dir=tmp_path)
    offline.start()
    seqs = [offline.send([{"type": "ObjectEvent", "n": i}]) for i in range(12)]
    time.sleep(0.3)
    assert not offline.connected and offline.pending() == 12
    offline.close(drain_timeout=0.1)  # the process "dies" with a full outbox

    watchers.append(Watcher(mqtt_url, f"trace/v1/{device_id}/events"))
    # a bare broker (no gateway confirms on .../stored): the transport alone, retired on PUBACK
    online = Publisher(key=key, broker_url=mqtt_url, data_dir=tmp_path, await_stored=False).start()
    try:
        assert online.wait_drained(timeout=10)
        later = online.send([{"type": "ObjectEvent", "n": 12}])
        assert online.wait_drained(timeout=5)
    finally:
        online.close()
    got = watchers[0].take(13)
    envelopes = [Envelope.from_json(p) for _t, p, _r in got]
    assert [e.seq for e in envelopes] == [str(s) for s in [*seqs, later]]
    assert [e.events[0]["n"] for e in envelopes] == list(range(13))
    for env in envelopes:
        verify_signature(env, public_key=key.public_key)
    assert later == 13


def test_retained_online_then_offline_will_when_the_socket_dies(
    mqtt_url: str, tmp_path: Path, device_id: str, watchers: list[Watcher]
) -> None:
    topic = f"trace/v1/{device_id}/status"
    pub = Publisher(
        key=DeviceKeyPair.generate(device_id), broker_url=mqtt_url, data_dir=tmp_path
    ).start()
    try:
        assert pub.wait_connected(timeout=5)
        sock = pub._client.socket()
        assert isinstance(sock, socket.socket)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        time.sleep(0.2)
        late = Watcher(mqtt_url, topic)  # joins after: sees the retained status
        watchers.append(late)
        assert late.take(1) == [(topic, b"online", True)]
        pub.abort()  # no DISCONNECT: the broker must publish the will
        assert late.take(1) == [(topic, b"offline", False)]
        after = Watcher(mqtt_url, topic)
        watchers.append(after)
        assert after.take(1) == [(topic, b"offline", True)]
    finally:
        _clear_retained(mqtt_url, topic)


def test_verdicts_are_surfaced_by_envelope_seq(
    mqtt_url: str, tmp_path: Path, device_id: str
) -> None:
    parsed = urlparse(mqtt_url)
    gateway = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5
    )

    def answer(client: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        env = Envelope.from_json(bytes(msg.payload))
        if env.reply_to:
            body = {
                "seq": env.seq,
                "device": env.device,
                "verdicts": [{"epc": ev["epcList"][0], "verdict": "ok"} for ev in env.events],
            }
            client.publish(env.reply_to, json.dumps(body), qos=1)

    gateway.on_message = answer
    gateway.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
    gateway.loop_start()
    gateway.subscribe(f"trace/v1/{device_id}/events", qos=1)
    time.sleep(0.2)
    pub = Publisher(
        key=DeviceKeyPair.generate(device_id),
        broker_url=mqtt_url,
        data_dir=tmp_path,
        subscribe_verdicts=True,
        await_stored=False,  # this stand-in gateway answers verdicts only
    ).start()
    try:
        assert pub.wait_connected(timeout=5)
        time.sleep(0.2)
        quiet = pub.send([{"type": "ObjectEvent", "epcList": ["urn:x:1"]}])
        seq = pub.send([{"type": "ObjectEvent", "epcList": ["urn:x:2"]}], reply=True)
        got = pub.wait_verdict(seq, timeout=5)
        assert got and got[0]["verdicts"] == [{"epc": "urn:x:2", "verdict": "ok"}]
        assert pub.wait_verdict(quiet, timeout=0.2) == []
    finally:
        pub.close()
        gateway.disconnect()
        gateway.loop_stop()
        _clear_retained(mqtt_url, f"trace/v1/{device_id}/status")


def _confirm(url: str, device: str, seqs: list[int]) -> None:
    """What the gateway publishes after its commit (docs/delivery.md)."""
    parsed = urlparse(url)
    c = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    c.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
    c.loop_start()
    body = json.dumps({"v": 1, "seqs": [str(s) for s in seqs]}).encode()
    c.publish(f"trace/v1/{device}/stored", body, qos=1).wait_for_publish(5)
    c.disconnect()
    c.loop_stop()


def test_broker_puback_alone_does_not_retire_only_the_stored_confirmation_does(
    mqtt_url: str, tmp_path: Path, device_id: str, watchers: list[Watcher]
) -> None:
    watchers.append(Watcher(mqtt_url, f"trace/v1/{device_id}/events"))
    pub = Publisher(
        key=DeviceKeyPair.generate(device_id), broker_url=mqtt_url, data_dir=tmp_path
    ).start()
    try:
        assert pub.wait_connected(timeout=5)
        time.sleep(0.2)  # its subscription to .../stored is in place
        seqs = [pub.send([{"type": "ObjectEvent", "n": i}]) for i in range(3)]
        assert len(watchers[0].take(3)) == 3  # the broker has them all (PUBACKed)
        time.sleep(0.3)
        assert pub.pending() == 3  # ... and still every one is kept
        _confirm(mqtt_url, device_id, [seqs[0], seqs[2]])
        deadline = time.monotonic() + 5
        while pub.pending() != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pub.pending() == 1
        assert [q.seq for q in pub.outbox.peek()] == [seqs[1]]
        _confirm(mqtt_url, device_id, [seqs[1]])
        assert pub.wait_drained(timeout=5)
        assert pub.resent == 0
    finally:
        pub.close(drain_timeout=0.1)


def test_unconfirmed_envelope_is_sent_again_after_the_timeout(
    mqtt_url: str, tmp_path: Path, device_id: str, watchers: list[Watcher]
) -> None:
    watchers.append(Watcher(mqtt_url, f"trace/v1/{device_id}/events"))
    pub = Publisher(
        key=DeviceKeyPair.generate(device_id),
        broker_url=mqtt_url,
        data_dir=tmp_path,
        confirm_timeout_s=0.5,
    ).start()
    try:
        assert pub.wait_connected(timeout=5)
        time.sleep(0.2)
        seq = pub.send([{"type": "ObjectEvent", "n": 1}])
        got = watchers[0].take(3, timeout=3)  # the first copy and at least two more
        assert len(got) == 3
        assert {Envelope.from_json(p).seq for _t, p, _r in got} == {str(seq)}
        assert len({p for _t, p, _r in got}) == 1  # the same signed bytes each time
        assert pub.resent >= 2 and pub.pending() == 1
        _confirm(mqtt_url, device_id, [seq])
        assert pub.wait_drained(timeout=5)
    finally:
        pub.close(drain_timeout=0.1)
