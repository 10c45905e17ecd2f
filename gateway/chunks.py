"""The hand-off to the decode workers: chunks of arrived messages, sized to the arrival rate,
and an in-order collector of their results (:class:`ChunkFeeder`, run by
:class:`gateway.pipeline.Pipeline` when it has a :class:`~gateway.decode_pool.DecodePool`).

Each chunk costs a fixed amount on both sides (pickling, a pipe write and a wake-up: ~100 µs
each side per chunk, measured with ``bench.ingest``), so chunks of one message cost as much as
the rest of the decode. The chunking thread therefore *lingers*: when the messages arrive fast
(the rate is an average over recent chunks), it waits up to ``linger_ms`` for a chunk of
``rate × linger`` messages (at most ``chunk_max``) before handing it off. At a low rate
(a device awaiting a verdict, a quiet line) the target is one message and nothing waits, and a
few messages with nothing queued before them are decoded right there (``local_max``),
skipping the pool and the collector. At most two chunks per worker are in flight, so chunks
also grow while the workers are busy. Results are passed on in arrival order.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from gateway.decode import Outcome
from gateway.decode_pool import ChunkResult, DecodePool, outcomes

log = logging.getLogger(__name__)

__all__ = ["ChunkFeeder", "Pending"]


@dataclass(slots=True)
class Pending:
    chunk: list[Any]  # gateway.pipeline.Inbound
    future: Future[ChunkResult] | None  # None: the pool is gone, decode here


class ChunkFeeder:
    """The chunking thread (:meth:`chunk_loop`) and the collector (:meth:`collect_loop`)."""

    def __init__(
        self,
        *,
        pool: DecodePool,
        inbox: queue.SimpleQueue[Any],
        pass_on: Callable[[Any, Outcome], None],
        decode_here: Callable[[Any], Outcome],
        check_seen: Callable[[Outcome], Outcome],
        finished: Callable[[], None],
        max_payload: int,
        backoff_max_s: float,
        chunk_max: int = 256,
        local_max: int = 4,
        linger_ms: float = 2.0,
    ) -> None:
        self.pool, self.inbox, self.pass_on = pool, inbox, pass_on
        self.decode_here, self.check_seen, self.finished = decode_here, check_seen, finished
        self.max_payload, self.backoff_max = max_payload, backoff_max_s
        self.chunk_max, self.local_max, self.linger_s = chunk_max, local_max, linger_ms / 1000
        self.rate = 0.0  # messages/s, moving average over chunks
        self._last = time.monotonic()
        self._queued = 0  # chunks handed to the collector and not yet passed on
        self._count_lock = threading.Lock()
        self.pending: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(2 * pool.workers)
        self.chunks = self.messages = 0  # what was handed to the pool (for measurements)

    def _target(self) -> int:
        return max(1, min(self.chunk_max, int(self.rate * self.linger_s)))

    def _observe(self, n: int) -> None:
        now = time.monotonic()
        span = max(now - self._last, 1e-4)
        self._last = now
        self.rate = 0.8 * self.rate + 0.2 * (n / span)

    def chunk_loop(self) -> None:
        while True:
            self._slots.acquire()  # while the workers are busy, let the next chunk grow
            item = self.inbox.get()
            if item is None:
                self.pending.put(None)
                return
            chunk, done = [item], False
            target = self._target()
            deadline = time.monotonic() + self.linger_s
            while len(chunk) < self.chunk_max:
                try:
                    nxt = self.inbox.get_nowait()
                except queue.Empty:
                    left = deadline - time.monotonic()
                    if len(chunk) >= target or left <= 0:
                        break
                    try:  # arriving fast: a bigger chunk is worth a moment
                        nxt = self.inbox.get(timeout=left)
                    except queue.Empty:
                        break
                if nxt is None:
                    done = True
                    break
                chunk.append(nxt)
            self._observe(len(chunk))
            if len(chunk) <= self.local_max and self._queued == 0:
                # light load and nothing queued before it: decode here and skip the pool and
                # the collector (each hand-off is a wake-up; a device may await a verdict)
                for i in chunk:
                    self.pass_on(i, self.decode_here(i))
                self._slots.release()
            else:
                with self._count_lock:
                    self._queued += 1
                self.chunks += 1
                self.messages += len(chunk)
                self.pending.put(Pending(chunk, self._submit(chunk)))
            if done:
                self.pending.put(None)
                return

    def _submit(self, chunk: list[Any]) -> Future[ChunkResult] | None:
        """Hand a chunk to the pool (None: decode it in the collector instead)."""
        try:
            return self.pool.submit([(i.topic, i.payload, i.received_at) for i in chunk])
        except Exception:  # broken or shut down pool: decode in this process
            log.exception("decode pool unavailable; decoding in the gateway process")
            return None

    def collect_loop(self) -> None:
        while True:
            p = self.pending.get()
            if p is None:
                self.finished()
                return
            for item, outcome in zip(p.chunk, self._resolve(p), strict=True):
                self.pass_on(item, self.check_seen(outcome))
            with self._count_lock:
                self._queued -= 1
            self._slots.release()

    def _resolve(self, p: Pending) -> list[Outcome]:
        delay = 0.05
        while True:
            try:
                res = p.future.result() if p.future is not None else None
            except Exception:
                log.exception("decode pool failed on a chunk of %d; decoding here", len(p.chunk))
                res = None
            if res is None:
                return [self.decode_here(i) for i in p.chunk]
            if isinstance(res, list):
                items = [(i.topic, i.payload, i.received_at) for i in p.chunk]
                try:
                    return outcomes(res, items, max_payload=self.max_payload)
                except Exception:  # cannot happen (same bytes, same parser): be safe anyway
                    log.exception("worker answer did not fit its chunk; decoding here")
                    return [self.decode_here(i) for i in p.chunk]
            log.warning("registry unavailable, retrying chunk in %.2fs: %s", delay, res[1])
            time.sleep(delay)
            delay = min(delay * 2, self.backoff_max)
            p.future = self._submit(p.chunk)
