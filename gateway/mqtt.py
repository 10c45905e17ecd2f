"""The paho-mqtt 2 client of the gateway: MQTT 5 shared subscription with a persistent session
(or MQTT 3.1.1 plain subscription on the embedded broker), manual acks, TCP_NODELAY.

Acks are per connection. A packet id names a message only on the connection it arrived on: after
a reconnect the broker resends what is still unacknowledged and hands freed ids to new messages,
so a PUBACK for an id received on an earlier connection could acknowledge a different message,
one not yet committed (lost if the gateway then crashes). The message id given to the pipeline
is therefore a token ``connection << 16 | packet id``; :meth:`GatewayClient.ack` drops acks of an
earlier connection (the broker redelivers those messages; they are acked as duplicates).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gateway.config import GatewayConfig, subscriptions

log = logging.getLogger(__name__)
_PUBACK = struct.Struct("!BBH")  # fixed header, remaining length 2, packet id (reason: success)


class GatewayClient:
    def __init__(
        self, config: GatewayConfig, *, on_message: Any, mqtt5: bool | None = None
    ) -> None:
        self.config = config
        self.mqtt5 = (not config.embedded) if mqtt5 is None else mqtt5
        self.connected = threading.Event()
        self._on_message = on_message
        self._connection = 0  # bumped when a connection ends (under _ack_lock)
        self._ack_lock = threading.Lock()
        self.stale_acks = 0
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            protocol=mqtt.MQTTv5 if self.mqtt5 else mqtt.MQTTv311,
            clean_session=None if self.mqtt5 else False,
            manual_ack=True,
        )
        if config.username:
            self.client.username_pw_set(config.username, config.password)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.client.on_message = self._message
        self.client.on_socket_open = _nodelay

    def start(self, timeout: float = 10.0) -> GatewayClient:
        props: Properties | None = None
        if self.mqtt5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = self.config.session_expiry_s
            props.ReceiveMaximum = self.config.receive_maximum
            self.client.connect(
                self.config.mqtt_host,
                self.config.mqtt_port,
                keepalive=30,
                clean_start=False,
                properties=props,
            )
        else:
            self.client.connect(self.config.mqtt_host, self.config.mqtt_port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(timeout):
            log.warning(
                "not connected to %s:%d after %.0fs; still trying",
                self.config.mqtt_host,
                self.config.mqtt_port,
                timeout,
            )
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def ack(self, token: int, qos: int) -> None:
        """Acknowledge the message ``token`` (from ``on_message``) if its connection is current."""
        if qos <= 0:
            return
        with self._ack_lock:
            if token >> 16 == self._connection:
                self.client.ack(token & 0xFFFF, qos)
                return
            self.stale_acks += 1
        log.debug("not acking packet %d of an earlier connection", token & 0xFFFF)

    def ack_many(self, items: list[tuple[int, int]]) -> None:
        """:meth:`ack` for a committed batch: the QoS 1 PUBACKs of the current connection go out
        as one write (paho's own per-ack path costs a wake-up and a send per message)."""
        queue = getattr(self.client, "_packet_queue", None)
        with self._ack_lock:
            current = [(t & 0xFFFF, q) for t, q in items if q > 0 and t >> 16 == self._connection]
            self.stale_acks += sum(1 for t, q in items if q > 0 and t >> 16 != self._connection)
            pubacks = [m for m, q in current if q == 1]
            if queue is not None and pubacks:
                queue(
                    mqtt.PUBACK, b"".join([_PUBACK.pack(mqtt.PUBACK, 2, m) for m in pubacks]), 0, 1
                )
            for mid, qos in current:
                if queue is None or qos != 1:
                    self.client.ack(mid, qos)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1)

    def _connected(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.error("connection refused: %s", reason)
            return
        for topic in subscriptions(
            mqtt5=self.mqtt5, group=self.config.share_group, prefix=self.config.topic_prefix
        ):
            client.subscribe(topic, qos=1)
        log.info(
            "connected to %s:%d (%s), subscribed",
            self.config.mqtt_host,
            self.config.mqtt_port,
            "MQTT 5 shared" if self.mqtt5 else "MQTT 3.1.1",
        )
        self.connected.set()

    def _disconnected(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self.connected.clear()
        with self._ack_lock:  # before paho reconnects: later acks of this connection are void
            self._connection += 1
        log.warning("disconnected: %s", reason)

    def _message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self._on_message(msg.topic, msg.payload, self._connection << 16 | msg.mid, msg.qos)


def _nodelay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    with contextlib.suppress(OSError, AttributeError):  # e.g. websockets / unix sockets
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
