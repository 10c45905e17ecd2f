"""The real Mosquitto: an MQTT 5 QoS 1 publish/subscribe round trip."""

from __future__ import annotations

import threading
import uuid
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def test_mosquitto_publish_subscribe_round_trip(mqtt_url: str) -> None:
    parsed = urlparse(mqtt_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 1883
    topic = f"suyuan-test/{uuid.uuid4().hex}/events"
    payload = "溯源 round trip".encode()
    got: list[tuple[str, bytes, int]] = []
    subscribed, received = threading.Event(), threading.Event()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sub.on_subscribe = lambda *_a: subscribed.set()

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        got.append((msg.topic, msg.payload, msg.qos))
        received.set()

    sub.on_message = on_message
    sub.connect(host, port)
    sub.loop_start()
    sub.subscribe(topic, qos=1)
    assert subscribed.wait(5), "SUBACK not received"

    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.connect(host, port)
    pub.loop_start()
    info = pub.publish(topic, payload, qos=1)
    info.wait_for_publish(5)
    assert info.is_published()
    assert received.wait(5), "message not delivered"
    for c in (pub, sub):
        c.loop_stop()
        c.disconnect()
    assert got == [(topic, payload, 1)]
