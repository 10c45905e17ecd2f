"""Batching, one transaction per batch, PUBACK only after commit, retry with backoff.

Three threads: the MQTT network thread only enqueues; a decode thread runs the decode path
(retrying registry look-ups while the store is down); a writer thread gathers decoded messages
into batches (by event count and age), commits each batch in one transaction, and only then
acks its messages in arrival order, publishes verdicts and the delivery confirmations
(:mod:`gateway.stored`) and updates counters. A failed commit is
retried with exponential backoff forever while the store is unavailable: nothing is acked
meanwhile, so nothing is lost. A batch the store refuses for any other reason is split until
the envelope it refuses is alone and dead-lettered (``store_rejected``); the rest commit.

Verdicts: every accepted outcome is shown to the :class:`VerdictSink` as it is passed on to the
writer, in arrival order (:meth:`Pipeline._pass_on`); the sink decides the verdicts of an
envelope that asks for a reply right there. Verdicts that rest on committed events only
(``Reply.settled``) are published right there too; the others by the writer right after the
batch holding that envelope commits (before the acks). A batch holding a reply envelope is
committed as soon as that envelope arrives, with only what was already waiting.

With a :class:`~gateway.decode_pool.DecodePool` a chunking thread hands chunks sized to the
arrival rate to worker processes and a collector thread takes their results in arrival order,
applies the seen-seq check and passes them on (:mod:`gateway.chunks`).
``on_commit`` (if given) is called with each batch's result right after its commit, before
its acks.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError

from gateway import stored
from gateway.batches import merge, store_rejected, transient
from gateway.chunks import ChunkFeeder
from gateway.decode import Accepted, Decoder, Outcome, Refused
from gateway.decode_pool import DecodePool
from gateway.errors import TransientError
from gateway.reply import Reply, VerdictSink
from gateway.store import BatchResult, StoreWriter
from traceability.metrics.prometheus import REGISTRY, GatewayMetrics

log = logging.getLogger(__name__)

Ack = Callable[[int, int], None]
AckMany = Callable[[list[tuple[int, int]]], None]
Publish = Callable[[str, bytes], None]


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
    reply: Reply | None = None  # verdicts still to publish once the outcome is committed


class Pipeline:
    def __init__(
        self,
        *,
        decoder: Decoder,
        writer: StoreWriter,
        ack: Ack,
        publish: Publish | None = None,
        verdicts: VerdictSink | None = None,
        batch_size: int = 1000,
        batch_ms: int = 50,
        backoff_max_s: float = 5.0,
        metrics: GatewayMetrics = REGISTRY,
        pool: DecodePool | None = None,
        chunk_max: int = 256,
        local_max: int = 4,
        on_commit: Callable[[BatchResult], None] | None = None,
        ack_many: AckMany | None = None,
        linger_ms: float = 2.0,
    ) -> None:
        self.decoder, self.writer, self.ack, self.publish = decoder, writer, ack, publish
        self.verdicts = verdicts
        self.pool, self.chunk_max, self.on_commit = pool, chunk_max, on_commit
        self.local_max, self.ack_many = local_max, ack_many
        self.batch_size, self.batch_s = batch_size, batch_ms / 1000.0
        self.backoff_max = backoff_max_s
        self.metrics = metrics
        self.inbox: queue.SimpleQueue[Inbound | None] = queue.SimpleQueue()
        self.decoded: queue.SimpleQueue[Decoded | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.healthy = threading.Event()
        self.healthy.set()
        self.feeder = (
            ChunkFeeder(
                pool=pool,
                inbox=self.inbox,
                pass_on=self._pass_on,
                decode_here=self._decode_here,
                check_seen=decoder.check_seen,
                finished=lambda: self.decoded.put(None),
                max_payload=decoder.max_payload,
                backoff_max_s=backoff_max_s,
                chunk_max=chunk_max,
                local_max=local_max,
                linger_ms=linger_ms,
            )
            if pool is not None
            else None
        )

    # --- called from the MQTT thread -------------------------------------------------------
    def submit(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        self.metrics.received.inc()
        self.inbox.put(Inbound(topic, payload, mid, qos, datetime.now(UTC)))

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> Pipeline:
        loops: list[tuple[str, Callable[[], None]]] = [("gw-decode", self._decode_loop)]
        if self.feeder is not None:
            loops = [
                ("gw-decode", self.feeder.chunk_loop),
                ("gw-collect", self.feeder.collect_loop),
            ]
        for name, target in (*loops, ("gw-writer", self._write_loop)):
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
            self._pass_on(item, self._decode_here(item))

    def _pass_on(self, item: Inbound, outcome: Outcome) -> None:
        """Hand a decoded message to the writer (in arrival order), with its verdicts."""
        reply = None
        if self.verdicts is not None and isinstance(outcome, Accepted):
            reply = self._observe(outcome)
            if reply is not None and reply.settled:
                # resting on committed events only: the device need not wait for this batch
                # (its PUBACK, after the commit, is what tells it the events are recorded)
                self._send(reply)
                reply = None
        self.decoded.put(Decoded(item, outcome, reply))

    def _observe(self, acc: Accepted) -> Reply | None:
        assert self.verdicts is not None
        delay = 0.05
        while True:
            try:
                return self.verdicts.observe(acc)
            except (TransientError, DBAPIError) as exc:  # store down: the writer waits too
                log.warning(
                    "verdict state unavailable, retrying in %.2fs: %s", delay, str(exc)[:200]
                )
                time.sleep(delay)
                delay = min(delay * 2, self.backoff_max)
            except Exception:
                log.exception(
                    "verdicts failed for %s/%s; state reset", acc.envelope.device, acc.envelope.seq
                )
                self.verdicts.reset()
                return None

    def _decode_here(self, item: Inbound) -> Outcome:
        delay = 0.05
        while True:
            try:
                return self.decoder.decode(item.topic, item.payload, item.received_at)
            except TransientError as exc:
                log.warning("registry unavailable, retrying in %.2fs: %s", delay, exc)
                time.sleep(delay)
                delay = min(delay * 2, self.backoff_max)

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
            urgent = _wants_reply(first)
            while events < self.batch_size:
                if urgent:
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
                urgent = urgent or _wants_reply(nxt)
            self._commit(batch)
            if done:
                return

    def _commit(self, batch: list[Decoded]) -> None:
        outcomes = [d.outcome for d in batch]
        accepted = [o for o in outcomes if isinstance(o, Accepted)]
        started = time.perf_counter()
        result = self._store(outcomes)
        self.healthy.set()
        self.metrics.batch_latency.observe(time.perf_counter() - started)
        if self.on_commit is not None:
            try:
                self.on_commit(result)
            except Exception:
                log.exception("on_commit hook failed")
        self._publish_verdicts(batch, result)  # first: a device is waiting for them
        self._confirm(result)
        if self.verdicts is not None:
            try:
                self.verdicts.committed(accepted, result)
            except Exception:
                log.exception("verdict state update failed; state reset")
                self.verdicts.reset()
        try:
            self._account(result)
        except Exception:
            log.exception("accounting of a committed batch failed")
        if self.ack_many is not None:
            try:
                self.ack_many([(d.inbound.mid, d.inbound.qos) for d in batch])
                return
            except Exception:
                log.exception("batched ack failed; acking one by one")
        for d in batch:
            try:
                self.ack(d.inbound.mid, d.inbound.qos)
            except Exception:
                log.exception("ack of mid %d failed", d.inbound.mid)

    def _store(self, outcomes: list[Outcome], *, split: bool = True) -> BatchResult:
        """Commit ``outcomes``: retried with backoff while the store is unavailable (nothing is
        acked meanwhile); split in halves when the store refuses the batch for any other
        reason, until the envelope it refuses is alone and dead-lettered (``store_rejected``)
        while the rest commit. One poisoned envelope never stops ingest."""
        delay = 0.1
        while True:
            try:
                return self.writer.write(outcomes)
            except Exception as exc:
                if split and not transient(exc):
                    return self._split(outcomes, exc)
                self.healthy.clear()
                self.metrics.db_retries.inc()
                log.warning(
                    "batch of %d not committed (%s: %s); retrying in %.1fs",
                    len(outcomes),
                    exc.__class__.__name__,
                    str(exc)[:200],
                    delay,
                )
                time.sleep(delay)
                delay = min(delay * 2, self.backoff_max)

    def _split(self, outcomes: list[Outcome], exc: Exception) -> BatchResult:
        if len(outcomes) > 1:
            log.warning(
                "the store refused a batch of %d (%s: %s); splitting it",
                len(outcomes),
                exc.__class__.__name__,
                str(exc)[:200],
            )
            half = len(outcomes) // 2
            return merge(self._store(outcomes[:half]), self._store(outcomes[half:]))
        (one,) = outcomes
        if isinstance(one, Accepted):
            return self._store([store_rejected(one, exc)])
        # the store refuses even a dead letter (whose text the writer makes storable): it is
        # broken rather than the message (a missing table...); never drop: retry until fixed
        log.error(
            "the store refuses the dead letter %s from %s (%s: %s); retrying until it takes it",
            one.reason,
            one.topic[:200],
            exc.__class__.__name__,
            str(exc)[:300],
        )
        return self._store(outcomes, split=False)

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
            log.info(
                "dead letter",
                extra={
                    "reason": r.reason,
                    "topic": r.topic,
                    "device": r.device,
                    "field": r.field,
                    "detail": r.detail[:300],
                },
            )

    def _publish_verdicts(self, batch: list[Decoded], result: BatchResult) -> None:
        """The replies of the batch's envelopes that were stored (or were already), in order;
        one the store refused after all (``replayed_seq``) gets none."""
        if self.publish is None:
            return
        kept = {id(a) for a in result.stored} | {id(a) for a in result.duplicates}
        for d in batch:
            if d.reply is None or id(d.outcome) not in kept:
                continue
            self._send(d.reply)

    def _confirm(self, result: BatchResult) -> None:
        """Tell each device which of its seqs this commit settled (``trace/v1/{device}/stored``):
        its outbox keeps an envelope until then, whatever the broker acknowledged."""
        if self.publish is None:
            return
        try:
            for topic, payload in stored.messages(result, prefix=self.decoder.topic_prefix):
                self.publish(topic, payload)
        except Exception:  # the device re-sends what stays unconfirmed: nothing is lost
            log.exception("publishing delivery confirmations failed")

    def _send(self, reply: Reply) -> None:
        if self.publish is None:
            return
        try:
            self.publish(reply.topic, reply.payload)
        except Exception:
            log.exception("publishing verdict to %s failed", reply.topic)
        for verdict, n in reply.counts.items():
            self.metrics.verdicts.inc(n, label=verdict)


def _events(d: Decoded) -> int:
    return len(d.outcome.events) if isinstance(d.outcome, Accepted) else 1


def _wants_reply(d: Decoded) -> bool:
    return isinstance(d.outcome, Accepted) and d.outcome.envelope.reply_to is not None


__all__ = ["Decoded", "Inbound", "Pipeline", "Refused"]
