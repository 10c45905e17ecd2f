"""The decode pool: worker processes decode, the pipeline keeps arrival order, acks after commit."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.decode import Accepted, Decoder, Refused
from gateway.decode_pool import DecodePool, WorkerSpec, _decode_chunk, outcomes
from gateway.key_cache import KeyCache, sql_loader
from gateway.pipeline import Pipeline
from gateway.store import BatchResult
from tests.support.gateway import event, provision
from traceability.store.engine import create_engine, upgrade


class FakeWriter:
    """Stores nothing; records batches and what had been acked when each was written."""

    def __init__(self, acked: list[int]) -> None:
        self.batches: list[list[Accepted | Refused]] = []
        self.acked_at_write: list[int] = []
        self._acked = acked

    def write(self, batch: Sequence[Accepted | Refused]) -> BatchResult:
        self.batches.append(list(batch))
        self.acked_at_write.append(len(self._acked))
        res = BatchResult()
        for m in batch:
            if isinstance(m, Refused):
                res.refused.append(m)
            elif m.duplicate:
                res.duplicates.append(m)
            else:
                res.stored.append(m)
                res.events_stored += len(m.events)
        return res


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, object]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('pool') / 'pool.db'}"
    upgrade(url=url)
    engine = create_engine(url=url)
    prov = provision(engine, ["pool-1", "pool-2"])
    engine.dispose()
    yield url, {"prov": prov}


def test_worker_chunk_equals_in_process_decode(db: tuple[str, dict[str, object]]) -> None:
    import gateway.decode_pool as dec

    url, ctx = db
    prov = ctx["prov"]
    now = datetime.now(UTC)
    items = [
        ("trace/v1/pool-1/events", prov.envelope("pool-1", 1, [event("a1")]), now),  # type: ignore[attr-defined]
        ("trace/v1/pool-2/events", prov.envelope("pool-1", 2, [event("a2")]), now),  # type: ignore[attr-defined]
        ("trace/v1/pool-1/events", b"{nope", now),
    ]
    dec._init_worker(WorkerSpec(database_url=url, max_payload=256 * 1024, clock_skew_s=300))
    wire = _decode_chunk(items)
    assert isinstance(wire, list)
    out = outcomes(wire, items, max_payload=256 * 1024)
    assert isinstance(out[0], Accepted) and out[0].signed and not out[0].duplicate
    assert [getattr(o, "reason", "ok") for o in out] == ["ok", "topic_mismatch", "malformed"]
    engine = create_engine(url=url)
    local = Decoder(keys=KeyCache(sql_loader(engine)), max_payload=256 * 1024, clock_skew_s=300)
    ref = local.decode(*items[0])
    assert isinstance(ref, Accepted) and ref.digest == out[0].digest
    assert ref.signed == out[0].signed
    assert ref.envelope == out[0].envelope and ref.key_id == out[0].key_id
    assert ref.events == out[0].events  # bodies, hashes and derived columns
    refused = [(o.reason, o.device, o.field, o.detail) for o in out[1:] if isinstance(o, Refused)]
    again = [local.decode(*it) for it in items[1:]]
    want = [(r.reason, r.device, r.field, r.detail) for r in again if isinstance(r, Refused)]
    assert refused == want
    assert len(refused) == 2
    local.seen.add("pool-1", "1", ref.digest)
    assert isinstance(local.check_seen(out[0]), Accepted) and out[0].duplicate
    engine.dispose()


def test_pipeline_with_pool_keeps_order_and_acks_after_commit(
    db: tuple[str, dict[str, object]], tmp_path: Path
) -> None:
    url, ctx = db
    prov = ctx["prov"]
    engine = create_engine(url=url)
    decoder = Decoder(keys=KeyCache(sql_loader(engine)), max_payload=256 * 1024, clock_skew_s=300)
    acked: list[int] = []
    lock = threading.Lock()

    def ack_many(items: list[tuple[int, int]]) -> None:
        with lock:
            acked.extend(mid for mid, _ in items)

    writer = FakeWriter(acked)
    pool = DecodePool(WorkerSpec(database_url=url, max_payload=256 * 1024, clock_skew_s=300), 2)
    pool.warm()
    pipe = Pipeline(
        decoder=decoder,
        writer=writer,
        ack=lambda m, q: acked.append(m),  # type: ignore[arg-type]
        ack_many=ack_many,
        pool=pool,
        batch_size=50,
        batch_ms=20,
        local_max=0,
    )
    pipe.start()
    n = 300
    for i in range(n):
        dev = f"pool-{1 + i % 2}"
        payload = prov.envelope(dev, 10 + i // 2, [event(f"o{i}")])  # type: ignore[attr-defined]
        pipe.submit(f"trace/v1/{dev}/events", payload, i + 1, 1)
    pipe.submit("trace/v1/pool-1/events", b"{bad", n + 1, 1)
    pipe.stop(timeout=60)
    pool.shutdown()
    engine.dispose()
    seen = [m for b in writer.batches for m in b]
    assert len(seen) == n + 1
    serials = [
        m.events[0].body["epcList"][0].rsplit(".", 1)[1] for m in seen if isinstance(m, Accepted)
    ]
    assert serials == [f"o{i}" for i in range(n)]  # arrival order kept across chunks
    assert isinstance(seen[-1], Refused) and seen[-1].reason == "malformed"
    assert sorted(acked) == list(range(1, n + 2))
    # nothing of a batch was acked before that batch was written
    total = 0
    for batch, before in zip(writer.batches, writer.acked_at_write, strict=True):
        assert before == total
        total += len(batch)
