"""Batching, one transaction per batch, PUBACK only after commit, retry with backoff.

Three threads: the MQTT network thread only enqueues; a decode thread runs the decode path
(retrying registry look-ups while the store is down); a writer thread gathers decoded messages
into batches (by event count and age), commits each batch in one transaction, and only then
acks its messages in arrival order, publishes verdicts and updates counters. A failed commit is
retried with exponential backoff forever: nothing is acked meanwhile, so nothing is lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from gateway.decode import Accepted, Decoder, Outcome, Refused
from gateway.errors import TransientError
from gateway.metrics import REGISTRY, GatewayMetrics
from gateway.store import BatchResult, StoreWriter

log = logging.getLogger(__name__)

Ack = Callable[[int, int], None]
Publish = Callable[[str, bytes], None]


class VerdictSink(Protocol):
    def prefetch(self, batch: list[Accepted]) -> None: ...
    def judge_and_apply(self, result: BatchResult) -> list[tuple[str, bytes, dict[str, int]]]: ...
    def reset(self) -> None: ...


@dataclass(slots=True)
class Inbound:
    topic: str
    payload: bytes
    mid: int
    qos: int
    received_at: datetime


@dataclass(slots=True)
class Decoded:
    inbound: Inbound
    outcome: Outcome


class Pipeline:
    def __init__(self, *, decoder: Decoder, writer: StoreWriter, ack: Ack,
                 publish: Publish | None = None, verdicts: VerdictSink | None = None,
                 batch_size: int = 1000, batch_ms: int = 50, backoff_max_s: float = 5.0,
                 metrics: GatewayMetrics = REGISTRY) -> None:
        self.decoder, self.writer, self.ack, self.publish = decoder, writer, ack, publish
        self.verdicts = verdicts
        self.batch_size, self.batch_s = batch_size, batch_ms / 1000.0
        self.backoff_max = backoff_max_s
        self.metrics = metrics
        self.inbox: queue.SimpleQueue[Inbound | None] = queue.SimpleQueue()
        self.decoded: queue.SimpleQueue[Decoded | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.healthy = threading.Event()
        self.healthy.set()

    # --- called from the MQTT thread -------------------------------------------------------
    def submit(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        self.metrics.received.inc()
        self.inbox.put(Inbound(topic, payload, mid, qos, datetime.now(UTC)))

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> Pipeline:
        for name, target in (("gw-decode", self._decode_loop), ("gw-writer", self._write_loop)):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Drain what was received (commit and ack it), then stop the threads."""
        self.inbox.put(None)
        for t in self._threads:
            t.join(timeout)
        self._stop.set()

    # --- decode thread ----------------------------------------------------------------------
    def _decode_loop(self) -> None:
        while True:
            item = self.inbox.get()
            if item is None:
                self.decoded.put(None)
                return
            delay = 0.05
            while True:
                try:
                    outcome = self.decoder.decode(item.topic, item.payload, item.received_at)
                    break
                except TransientError as exc:
                    log.warning("registry unavailable, retrying in %.2fs: %s", delay, exc)
                    time.sleep(delay)
                    delay = min(delay * 2, self.backoff_max)
            self.decoded.put(Decoded(item, outcome))

    # --- writer thread ----------------------------------------------------------------------
    def _write_loop(self) -> None:
        while True:
            first = self.decoded.get()
            if first is None:
                return
            batch = [first]
            events = _events(first)
            deadline = time.monotonic() + self.batch_s
            done = False
            while events < self.batch_size:
                if _wants_reply(batch[-1]):
                    try:  # a reply is awaited: take only what is already here
                        nxt = self.decoded.get_nowait()
                    except queue.Empty:
                        break
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        nxt = self.decoded.get(timeout=left)
                    except queue.Empty:
                        break
                if nxt is None:
                    done = True
                    break
                batch.append(nxt)
                events += _events(nxt)
            self._commit(batch)
            if done:
                return

    def _commit(self, batch: list[Decoded]) -> None:
        outcomes = [d.outcome for d in batch]
        accepted = [o for o in outcomes if isinstance(o, Accepted)]
        delay = 0.1
        while True:
            started = time.perf_counter()
            try:
                if self.verdicts is not None:
                    self.verdicts.prefetch(accepted)
                result = self.writer.write(outcomes)
                break
            except Exception as exc:  # store down, lock timeout, ...: stop acking, retry
                self.healthy.clear()
                self.metrics.db_retries.inc()
                if self.verdicts is not None:
                    self.verdicts.reset()
                log.warning("batch of %d not committed (%s: %s); retrying in %.1fs",
                            len(batch), exc.__class__.__name__, str(exc)[:200], delay)
                time.sleep(delay)
                delay = min(delay * 2, self.backoff_max)
        self.healthy.set()
        self.metrics.batch_latency.observe(time.perf_counter() - started)
        for d in batch:
            try:
                self.ack(d.inbound.mid, d.inbound.qos)
            except Exception:
                log.exception("ack of mid %d failed", d.inbound.mid)
        self._account(result)

    def _account(self, result: BatchResult) -> None:
        seen = self.decoder.seen
        for acc in result.stored:
            seen.add(acc.envelope.device, acc.envelope.seq, acc.digest)
        m = self.metrics
        m.envelopes.inc(len(result.stored))
        m.stored.inc(result.events_stored)
        m.duplicates.inc(len(result.duplicates))
        for r in result.refused:
            m.dead_letters.inc(label=r.reason)
            log.info("dead letter", extra={"reason": r.reason, "topic": r.topic,
                                           "device": r.device, "field": r.field,
                                           "detail": r.detail[:300]})
        if self.verdicts is not None and self.publish is not None:
            try:
                replies = self.verdicts.judge_and_apply(result)
            except Exception:
                log.exception("verdicts failed; state reset")
                self.verdicts.reset()
                return
            for topic, payload, counts in replies:
                try:
                    self.publish(topic, payload)
                except Exception:
                    log.exception("publishing verdict to %s failed", topic)
                for verdict, n in counts.items():
                    m.verdicts.inc(n, label=verdict)


def _events(d: Decoded) -> int:
    return len(d.outcome.events) if isinstance(d.outcome, Accepted) else 1


def _wants_reply(d: Decoded) -> bool:
    return isinstance(d.outcome, Accepted) and d.outcome.envelope.reply_to is not None


__all__ = ["Decoded", "Inbound", "Pipeline", "Refused"]
