"""Store-and-forward publisher: signed envelopes go through the disk outbox to MQTT at QoS 1.

Every envelope is first committed to the :class:`~devices.queue.Outbox` (seq allocated and
signed in the same transaction), then handed to paho in seq order, at most ``window``
unconfirmed at a time. It leaves the outbox only when the gateway confirms it on
``trace/v1/{device}/stored`` (``{"v": 1, "seqs": [...]}``, sent after the gateway's commit: the
envelope is recorded, was already recorded, or was dead-lettered for good), never on the
broker's PUBACK alone: a PUBACK says only that the broker has the message, and a broker drops
queued messages past its limits (Mosquitto's default: 1,000 per client). An envelope still
unconfirmed ``confirm_timeout_s`` after it was handed over is sent again (the gateway answers a
repeat as a duplicate and confirms it). ``await_stored=False`` retires on PUBACK instead, for a
bare broker with no gateway behind it (tests of the transport only).

paho re-sends un-acked messages on reconnect; after a process restart everything still queued
is handed over again from the oldest. A PUBACK that does not say the message was delivered --
MQTT 5 "No matching subscribers" (0x10: e.g. right after a broker restart, before the gateways
have re-subscribed; Mosquitto 2.0 does not restore shared subscriptions from its persistence
file) or any failure code -- is handed over again after ``retry_s``. The device keeps a retained
``online`` on ``trace/v1/{device}/status`` and leaves a retained ``offline`` will. TCP_NODELAY
is set on the socket as soon as it opens.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devices.broker import BrokerAddress
from devices.keys import DeviceKeyPair
from devices.queue import Outbox, Queued
from devices.replies import Verdicts, parse_verdict, stored_seqs
from traceability.readers import derive_member_events
from traceability.signing.envelope import build

log = logging.getLogger(__name__)
Event = dict[str, Any]


class Publisher:
    """One device's MQTT connection, outbox and batcher. Thread-safe; use as a context manager."""

    def __init__(
        self,
        *,
        key: DeviceKeyPair,
        broker_url: str,
        data_dir: Path,
        client_id: str | None = None,
        window: int = 100,
        retry_s: float = 1.0,
        confirm_timeout_s: float = 30.0,
        await_stored: bool = True,
        batch_max_events: int = 50,
        batch_max_ms: int = 200,
        keepalive: int = 30,
        reconnect_max_s: int = 30,
        protocol: int = 5,
        subscribe_verdicts: bool = False,
        on_verdict: Callable[[str, dict[str, Any]], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.key = key
        self.device = key.device_id
        self.broker = BrokerAddress.parse(broker_url)
        self.outbox = Outbox(data_dir / f"{self.device}.outbox.sqlite3")
        self.window = window
        self.retry_s = retry_s
        self.confirm_timeout_s = confirm_timeout_s
        self.await_stored = await_stored
        self.resent = 0  # envelopes handed over again after confirm_timeout_s (a counter)
        self.batch_max_events = batch_max_events
        self.batch_max_s = batch_max_ms / 1000
        self.clock = clock
        self.protocol = protocol
        self.subscribe_verdicts = subscribe_verdicts or on_verdict is not None
        self.on_verdict = on_verdict
        self.verdicts = Verdicts()
        self.status_topic = f"trace/v1/{self.device}/status"
        self.events_topic = f"trace/v1/{self.device}/events"
        self.verdict_topic = f"trace/v1/{self.device}/verdicts"
        self.stored_topic = f"trace/v1/{self.device}/stored"
        self._lock = threading.RLock()
        self._acked = threading.Condition(self._lock)
        self._inflight: dict[int, int] = {}  # paho mid -> seq (worker thread only)
        # what paho's thread saw, in its order: ("ack", mid, delivered) / ("stored", seqs)
        self._notes: queue.SimpleQueue[tuple[str, Any, bool]] = queue.SimpleQueue()
        self._retry: dict[int, float] = {}  # seq -> when to hand it over again (worker thread)
        self._unconfirmed: dict[int, float] = {}  # seq handed over -> when to send it again
        self._wake = threading.Event()
        self._handed_up_to = 0  # highest seq handed to paho in this process
        self._connected = False
        self._buffer: list[Event] = []
        self._buffer_since: float | None = None
        self._closing = threading.Event()
        self._worker = threading.Thread(
            target=self._work, daemon=True, name=f"outbox-{self.device}"
        )
        self._client = self._make_client(
            client_id or f"suyuan-device-{self.device}", keepalive, reconnect_max_s
        )
        self.keepalive = keepalive

    # ---- lifecycle -----------------------------------------------------------------------

    def _make_client(self, client_id: str, keepalive: int, reconnect_max_s: int) -> mqtt.Client:
        v5 = self.protocol == 5
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
            clean_session=None if v5 else not self.subscribe_verdicts,
        )
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()
        client.max_inflight_messages_set(self.window)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(min_delay=1, max_delay=reconnect_max_s)
        client.will_set(self.status_topic, b"offline", qos=1, retain=True)
        client.on_socket_open = self._on_socket_open
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def start(self) -> Publisher:
        kwargs: dict[str, Any] = {}
        if self.protocol == 5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = 86400 if self.subscribe_verdicts else 0
            kwargs = {"clean_start": not self.subscribe_verdicts, "properties": props}
        self._client.connect_async(self.broker.host, self.broker.port, self.keepalive, **kwargs)
        self._client.loop_start()
        self._worker.start()
        return self

    def __enter__(self) -> Publisher:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self, *, drain_timeout: float = 5.0) -> None:
        """Flush the batch, wait (bounded) for the outbox to drain, say ``offline``, disconnect."""
        self.flush()
        if self._connected:
            self.wait_drained(timeout=drain_timeout)
            info = self._client.publish(self.status_topic, b"offline", qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=2.0)
            self._client.disconnect()
        self._shutdown()

    def abort(self) -> None:
        """Die like a device losing power: no DISCONNECT, the socket just goes (will fires)."""
        self._client.loop_stop()
        sock = self._client.socket()
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._closing.set()
        self._wake.set()
        if self._worker.is_alive():
            self._worker.join(timeout=2)
        self.outbox.close()

    def _shutdown(self) -> None:
        self._closing.set()
        self._client.loop_stop()
        self._wake.set()
        if self._worker.is_alive():
            self._worker.join(timeout=2)
        self.outbox.close()

    # ---- sending -------------------------------------------------------------------------

    def send(self, events: list[Event], *, reply: bool = False) -> int:
        """Sign ``events`` into one envelope now, queue it on disk, and publish on
        ``trace/v1/{device}/events``; returns seq."""
        return self._queue("events", reply, {"events": events})

    def send_many(self, batches: list[list[Event]]) -> list[int]:
        """:meth:`send` for several envelopes (one per list of events), queued on disk in one
        transaction; returns their seqs."""
        seqs = self.outbox.append_many(
            topic=self.events_topic,
            builds=[self._builder(False, {"events": events}) for events in batches],
        )
        self._wake.set()
        return seqs

    def publish_reader(
        self,
        *,
        format: str,
        config: dict[str, Any],
        messages: list[dict[str, Any]],
        reply: bool = False,
    ) -> int:
        """Sign raw reader JSON (Impinj / Zebra ``messages`` as received) with the derivation's
        ``format`` and ``config`` (e.g. ``DeviceConfig.reader_config()``) into one envelope,
        queue it and publish on ``trace/v1/{device}/reader``; returns seq. The gateway derives
        the EPCIS events (:mod:`traceability.readers`); messages it could not derive them from
        raise ``ReaderError`` here instead of becoming a dead letter there."""
        reader = {"format": format, "config": config, "messages": messages}
        derive_member_events(member=reader)
        return self._queue("reader", reply, {"reader": reader})

    def _queue(self, kind: str, reply: bool, body: dict[str, Any]) -> int:
        seq = self.outbox.append(
            topic=f"trace/v1/{self.device}/{kind}", build=self._builder(reply, body)
        )
        self._wake.set()
        return seq

    def _builder(self, reply: bool, body: dict[str, Any]) -> Callable[[int], bytes]:
        """Signs ``body`` as the envelope with the seq it is given (inside the outbox's
        transaction, so a seq never signs two contents)."""
        reply_to = self.verdict_topic if reply else None
        return lambda s: build(
            device=self.device,
            key_id=self.key.key_id,
            seed=self.key.seed,
            seq=s,
            reply_to=reply_to,
            sent_at=self.clock(),
            **body,
        )

    def submit(self, events: list[Event]) -> None:
        """Add events to the current batch (sent at ``batch_max_events`` or ``batch_max_ms``)."""
        with self._lock:
            if not self._buffer:
                self._buffer_since = time.monotonic()
            self._buffer.extend(events)
            full = len(self._buffer) >= self.batch_max_events
        if full:
            self.flush()

    def flush(self) -> list[int]:
        """Send whatever is batched now (in envelopes of at most ``batch_max_events``)."""
        with self._lock:
            pending, self._buffer, self._buffer_since = self._buffer, [], None
        n = self.batch_max_events
        return [self.send(pending[i : i + n]) for i in range(0, len(pending), n)]

    def _work(self) -> None:
        """The one thread that hands envelopes to paho and retires them on PUBACK.

        paho's callbacks only enqueue acks and set flags: they run under paho's own mutexes,
        so taking our lock there (while this thread holds it inside ``publish``) could deadlock.
        """
        while not self._closing.is_set():
            self._wake.wait(0.01)
            self._wake.clear()
            retired = False
            while True:
                try:
                    kind, value, delivered = self._notes.get_nowait()
                except queue.Empty:
                    break
                with self._acked:
                    if kind == "stored":
                        retired = self._retire(value) or retired
                        continue
                    seq = self._inflight.pop(value, None)
                    if seq is None:
                        continue
                    if not delivered:
                        self._unconfirmed.pop(seq, None)
                        self._retry[seq] = time.monotonic() + self.retry_s
                    elif not self.await_stored:
                        retired = self._retire([seq]) or retired
            if retired:
                with self._acked:
                    self._acked.notify_all()
            with self._lock:
                since = self._buffer_since
            if since is not None and time.monotonic() - since >= self.batch_max_s:
                self.flush()
            if not self._closing.is_set():
                self._pump()

    def _retire(self, seqs: list[int]) -> bool:
        """Drop confirmed envelopes from the outbox (worker thread, under the lock)."""
        removed = False
        for seq in seqs:
            self._unconfirmed.pop(seq, None)
            self._retry.pop(seq, None)
            removed = self.outbox.remove(seq) or removed
        return removed

    def _pump(self) -> None:
        """Hand queued envelopes to paho, oldest first, keeping at most ``window`` unconfirmed
        (envelopes waiting to be retried count against the window); send again what stayed
        unconfirmed for ``confirm_timeout_s``."""
        if not self._connected:
            return
        with self._lock:
            now = time.monotonic()
            late = [seq for seq, at in self._unconfirmed.items() if at <= now]
            for seq in late:
                del self._unconfirmed[seq]
                self._retry[seq] = now
            self.resent += len(late)
            due = sorted(seq for seq, at in self._retry.items() if at <= now)
            if due:
                for item in self.outbox.peek(after=due[0] - 1, limit=due[-1] - due[0] + 1):
                    if item.seq in self._retry and self._retry[item.seq] <= now:
                        self._hand_over(item)
                for seq in due:  # handed over again, or confirmed meanwhile (gone)
                    self._retry.pop(seq, None)
            unconfirmed = len(self._unconfirmed) if self.await_stored else len(self._inflight)
            room = self.window - unconfirmed - len(self._retry)
            if room <= 0:
                return
            for item in self.outbox.peek(after=self._handed_up_to, limit=room):
                self._hand_over(item)
                self._handed_up_to = item.seq

    def _hand_over(self, item: Queued) -> None:
        props = None
        if self.protocol == 5:
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            props.CorrelationData = str(item.seq).encode()
        info = self._client.publish(item.topic, item.payload, qos=1, properties=props)
        self._inflight[info.mid] = item.seq
        if self.await_stored:
            self._unconfirmed[item.seq] = time.monotonic() + self.confirm_timeout_s

    def pending(self) -> int:
        """Envelopes (and batched events, as one) not yet confirmed (by the gateway, or with
        ``await_stored=False`` by the broker)."""
        with self._lock:
            return len(self.outbox) + (1 if self._buffer else 0)

    def wait_drained(self, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._acked:
            while len(self.outbox) > 0 or self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._acked.wait(min(left, 0.1))
        return True

    def wait_connected(self, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._connected and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._connected

    @property
    def connected(self) -> bool:
        return self._connected

    def wait_verdict(self, seq: int | str, *, timeout: float) -> list[dict[str, Any]]:
        """Verdict messages received for the envelope ``seq`` (empty on timeout)."""
        return self.verdicts.wait(seq, timeout=timeout)

    # ---- paho callbacks (network thread) ---------------------------------------------------

    def _on_socket_open(self, _c: mqtt.Client, _u: Any, sock: Any) -> None:
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("device %s: broker refused connection: %s", self.device, reason)
            return
        sock = client.socket()
        if isinstance(sock, socket.socket):  # belt and braces: also set after CONNACK
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.publish(self.status_topic, b"online", qos=1, retain=True)
        if self.await_stored:  # before anything is handed over on this connection
            client.subscribe(self.stored_topic, qos=1)
        if self.subscribe_verdicts:
            client.subscribe(self.verdict_topic, qos=1)
        self._connected = True
        self._wake.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._connected = False
        log.info("device %s: disconnected (%s); paho reconnects with backoff", self.device, reason)

    def _on_publish(self, _c: mqtt.Client, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        # MQTT 5 PUBACK reason: only 0 (Success) means a subscriber's session has the message
        code = getattr(rc, "value", 0)
        if code != 0:
            log.warning("device %s: PUBACK %s for mid %d; will resend", self.device, rc, mid)
        self._notes.put(("ack", mid, code == 0))
        self._wake.set()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == self.stored_topic:
            seqs = stored_seqs(msg.payload)
            if seqs is None:
                log.warning("device %s: unreadable confirmation on %s", self.device, msg.topic)
            else:
                self._notes.put(("stored", seqs, True))
                self._wake.set()
            return
        corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
        parsed = parse_verdict(msg.payload, corr)
        if parsed is None:
            log.warning("device %s: undecodable verdict on %s", self.device, msg.topic)
            return
        seq, payload = parsed
        self.verdicts.add(seq, payload)
        if self.on_verdict is not None:
            self.on_verdict(seq, payload)
