"""Delivery confirmations on ``trace/v1/{device}/stored``: after the commit, per device per
batch, the seqs stored, already stored (duplicates) and dead-lettered for good."""

from __future__ import annotations

import json
import threading
import uuid

import orjson
import sqlalchemy as sa

from gateway.decode import Decoder
from gateway.key_cache import KeyCache, sql_loader
from gateway.pipeline import Pipeline
from gateway.store import StoreWriter
from tests.support.gateway import event, provision, wait_for
from traceability.store.engine import create_engine


def test_commit_then_confirm_stored_duplicate_and_dead_letter(pg_url: str) -> None:
    engine = create_engine(url=pg_url)
    prov = provision(engine, ["st-a", "st-b"])
    tag = uuid.uuid4().hex[:6]
    confirmed: list[tuple[str, dict[str, object], int]] = []  # topic, doc, events at publish
    lock = threading.Lock()

    def publish(topic: str, payload: bytes) -> None:
        with engine.connect() as c:
            n = int(c.execute(sa.text("select count(*) from envelope_seen")).scalar_one())
        with lock:
            confirmed.append((topic, json.loads(payload), n))

    pipe = Pipeline(
        decoder=Decoder(
            keys=KeyCache(sql_loader(engine)), max_payload=256 * 1024, clock_skew_s=300
        ),
        writer=StoreWriter(engine),
        ack=lambda _m, _q: None,
        publish=publish,
        batch_ms=200,
    ).start()
    try:
        a1 = prov.envelope("st-a", 1, [event(f"{tag}a1")])
        bad = orjson.loads(prov.envelope("st-a", 2, [event(f"{tag}a2")]))
        bad["events"][0]["bizStep"] = "shipping"  # changed after signing
        items = [
            ("st-a", a1),
            ("st-a", a1),  # a duplicate in the same batch
            ("st-a", orjson.dumps(bad)),  # bad_signature: dead-lettered for good
            ("st-b", prov.envelope("st-b", 7, [event(f"{tag}b7")])),
            ("st-b", b"{not json"),  # no seq to confirm
        ]
        for mid, (dev, payload) in enumerate(items, 1):
            pipe.submit(f"trace/v1/{dev}/events", payload, mid, 1)
        assert wait_for(lambda: len(confirmed) >= 2, 15)
        # a repeat after the commit (what a device re-sends after its timeout): a duplicate
        pipe.submit("trace/v1/st-a/events", a1, 99, 1)
        assert wait_for(lambda: len(confirmed) >= 3, 15)
    finally:
        pipe.stop()
        engine.dispose()
    by_topic: dict[str, list[list[str]]] = {}
    for topic, doc, stored_then in confirmed:
        assert doc["v"] == 1 and stored_then == 2  # published after the commit
        by_topic.setdefault(topic, []).append(list(doc["seqs"]))  # type: ignore[call-overload]
    assert by_topic == {
        "trace/v1/st-a/stored": [["1", "2"], ["1"]],
        "trace/v1/st-b/stored": [["7"]],
    }
