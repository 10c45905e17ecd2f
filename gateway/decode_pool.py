"""Decoding in worker processes: :class:`DecodePool` and the compact form of its answers.

The GIL serialises threads, so the stateless part of the decode path (everything but the
seen-seq check) runs in spawned worker processes, chunks of messages at a time; each worker has
its own registry connection and key cache. The pipeline keeps arrival order.

What a worker sends back is small (:func:`to_wire`): for a refusal its reason, device, field and
detail; for an acceptance the key id, digest, signed bytes and each event's hash and derived
columns, not the envelope or the event bodies. The gateway process has the payload already and
parses it again with the same function the worker used (:func:`gateway.decode.parse_envelope`,
several times cheaper than unpickling the parsed objects, measured with ``bench.ingest`` and
py-spy); the events of a reader envelope, derived in the worker, do travel (deriving is costlier
than pickling). :func:`from_wire` rebuilds the outcome the worker had.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.decode import Accepted, Decoder, Outcome, Refused, parse_envelope
from gateway.errors import TransientError
from gateway.key_cache import KeyCache
from gateway.validation import PreparedEvent


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    database_url: str
    max_payload: int
    clock_skew_s: int
    key_ttl_s: float = 5.0
    topic_prefix: str = ""


Item = tuple[str, bytes, datetime]
Wire = tuple[Any, ...]
# A chunk's answer: the outcomes in order (compact), or ("transient", reason) to retry later.
ChunkResult = list[Wire] | tuple[str, str]
_WORKER: Decoder | None = None


def to_wire(outcome: Outcome) -> Wire:
    """The compact form of a worker's outcome (see the module docstring)."""
    if isinstance(outcome, Refused):
        return ("R", outcome.reason, outcome.device, outcome.field, outcome.detail)
    env = outcome.envelope
    return (
        "A",
        outcome.key_id,
        outcome.digest,
        outcome.signed,
        outcome.duplicate,
        [
            (
                e.event_hash,
                e.event_time,
                e.event_type,
                e.action,
                e.biz_step,
                e.disposition,
                e.read_point,
                e.biz_location,
            )
            for e in outcome.events
        ],
        env.events if env.reader is not None else None,
    )


def from_wire(wire: Wire, item: Item, *, max_payload: int) -> Outcome:
    """The outcome ``to_wire`` was made from, for the message ``item`` (topic, payload, time)."""
    topic, payload, received_at = item
    if wire[0] == "R":
        _, reason, device, field, detail = wire
        return Refused(topic, payload, reason, device, field, detail, received_at)
    _, key_id, digest, signed, duplicate, cores, derived = wire
    env = parse_envelope(payload, max_bytes=max_payload)  # what the worker parsed
    if derived is not None:
        object.__setattr__(env, "_derived", derived)  # derived from the signed member there
    events = [PreparedEvent(body, *core) for body, core in zip(env.events, cores, strict=True)]
    return Accepted(
        topic,
        payload,
        env,
        None,
        key_id,
        digest,
        events,
        received_at,
        duplicate=duplicate,
        signed=signed,
    )


def outcomes(result: list[Wire], items: list[Item], *, max_payload: int) -> list[Outcome]:
    return [from_wire(w, it, max_payload=max_payload) for w, it in zip(result, items, strict=True)]


def _init_worker(spec: WorkerSpec) -> None:
    global _WORKER
    from gateway.key_cache import sql_loader

    _exit_with_parent()
    from traceability.store.engine import create_engine

    pg = not spec.database_url.startswith("sqlite")
    engine = (
        create_engine(url=spec.database_url, pool_size=1, pool_pre_ping=False)
        if pg
        else create_engine(url=spec.database_url)
    )
    _WORKER = Decoder(
        keys=KeyCache(sql_loader(engine), ttl_s=spec.key_ttl_s),
        max_payload=spec.max_payload,
        clock_skew_s=spec.clock_skew_s,
        topic_prefix=spec.topic_prefix,
    )


def _exit_with_parent(interval: float = 0.5) -> None:
    """A worker outlives a gateway killed with SIGKILL (it holds its own queue's write end, so
    it never sees EOF): leave as soon as the parent is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="gw-parent-watch", daemon=True).start()


def _decode_chunk(items: list[Item]) -> ChunkResult:
    assert _WORKER is not None
    try:
        return [to_wire(_WORKER.decode(t, p, r, check_seen=False)) for t, p, r in items]
    except TransientError as exc:  # exceptions with keyword-only args do not unpickle
        return ("transient", str(exc)[:500])


def _ping(delay: float) -> int:
    time.sleep(delay)
    return multiprocessing.current_process().pid or 0


class DecodePool:
    """``workers`` spawned processes running :func:`_decode_chunk` (ordered by the caller)."""

    def __init__(self, spec: WorkerSpec, workers: int) -> None:
        self.workers = workers
        self._ex = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(spec,),
        )

    def warm(self, timeout: float = 60.0) -> None:
        """Start every worker now (imports, schema compilation), not on the first message."""
        futures = [self._ex.submit(_ping, 0.2) for _ in range(self.workers)]
        for f in futures:
            f.result(timeout)

    def submit(self, items: list[Item]) -> Future[ChunkResult]:
        return self._ex.submit(_decode_chunk, items)

    def shutdown(self) -> None:
        self._ex.shutdown(wait=True, cancel_futures=False)
