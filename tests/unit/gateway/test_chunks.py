"""The hand-off to the decode workers (:class:`gateway.chunks.ChunkFeeder`): chunks grow with the
arrival rate (linger), a slow trickle is decoded right away, and every message is passed on
once, in arrival order, whatever the chunking."""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

from gateway.chunks import ChunkFeeder
from gateway.decode import Outcome, Refused


class _Pool:
    """Stands in for the process pool: records chunk sizes; its answer (None) makes the
    collector decode the chunk in this process, as it does when the pool is gone."""

    workers = 1

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def submit(self, items: list[Any]) -> Future[Any]:
        self.sizes.append(len(items))
        f: Future[Any] = Future()
        f.set_result(None)
        return f


class _Msg:
    def __init__(self, n: int) -> None:
        self.topic, self.payload, self.received_at = f"t/{n}", b"{}", datetime.now(UTC)
        self.n = n


def _run(gap_s: float, n: int, *, linger_ms: float, local_max: int) -> tuple[_Pool, list[int]]:
    pool = _Pool()
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    passed: list[int] = []
    done = threading.Event()

    def decode_here(m: _Msg) -> Outcome:
        return Refused(m.topic, m.payload, "malformed", None, None, "x", m.received_at)

    feeder = ChunkFeeder(
        pool=pool,  # type: ignore[arg-type]
        inbox=inbox,
        pass_on=lambda m, _o: passed.append(m.n),
        decode_here=decode_here,
        check_seen=lambda o: o,
        finished=done.set,
        max_payload=1024,
        backoff_max_s=0.1,
        local_max=local_max,
        linger_ms=linger_ms,
    )
    threads = [
        threading.Thread(target=feeder.chunk_loop, daemon=True),
        threading.Thread(target=feeder.collect_loop, daemon=True),
    ]
    for t in threads:
        t.start()
    for i in range(n):
        inbox.put(_Msg(i))
        time.sleep(gap_s)
    inbox.put(None)
    assert done.wait(30)
    return pool, passed


def test_fast_arrivals_make_bigger_chunks() -> None:
    pool0, passed0 = _run(0.0002, 1500, linger_ms=0, local_max=0)
    pool, passed = _run(0.0002, 1500, linger_ms=10, local_max=0)
    assert passed0 == passed == list(range(1500))  # each once, in order
    assert sum(pool.sizes) == sum(pool0.sizes) == 1500
    mean0 = sum(pool0.sizes) / len(pool0.sizes)
    mean = sum(pool.sizes) / len(pool.sizes)
    assert mean > 2 * mean0, (mean0, mean)
    assert max(pool.sizes) <= 256


def test_a_trickle_waits_for_nothing() -> None:
    started = time.monotonic()
    pool, passed = _run(0.02, 25, linger_ms=50, local_max=4)
    assert passed == list(range(25))
    assert pool.sizes == []  # one at a time, decoded right here: no linger, no pool
    assert time.monotonic() - started < 25 * 0.02 + 1.0  # no 50 ms waits added
