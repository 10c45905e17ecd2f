"""A poisoned envelope never stops ingest on TimescaleDB.

Before: an enrolled device's signed ``"q": "a\\u0000b"`` failed its batch with
``UntranslatableCharacter`` and the gateway retried that batch forever, every later envelope
waiting behind it. Now decode refuses such values (``unstorable_value``), and a batch the store
refuses for any reason other than its availability is split until the envelope it refuses is
alone and dead-lettered (``store_rejected``, the database's message kept) while the rest
commit. Part of the poison here bypasses decode (the decoded event is changed on its way to
the writer), so the splitting is exercised too.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import sqlalchemy as sa

from gateway.decode import Accepted, Decoder, Outcome
from gateway.key_cache import KeyCache, sql_loader
from gateway.pipeline import Pipeline
from gateway.store import StoreWriter
from tests.support.gateway import event, provision, wait_for
from traceability.store.engine import create_engine

POISON_EVERY = 7  # envelope seqs 7, 14, ... carry NUL past decode; 5, 10, ... signed NUL


class PoisoningDecoder(Decoder):
    """Decodes as usual, then puts U+0000 into the stored body of chosen envelopes (what a
    value decode did not foresee would do)."""

    def __init__(self, *, poison: set[str], **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.poison = poison

    def decode(
        self, topic: str, payload: bytes, received_at: datetime, *, check_seen: bool = True
    ) -> Outcome:
        out = super().decode(topic, payload, received_at, check_seen=check_seen)
        if isinstance(out, Accepted) and out.envelope.seq in self.poison:
            out.events[0].body["example:q"] = "a\x00b"
        return out


def scalar(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as c:
        return int(c.execute(sa.text(sql)).scalar_one())


def test_poisoned_envelopes_are_dead_lettered_and_the_rest_stored(pg_url: str) -> None:
    engine = create_engine(url=pg_url)
    dev, tag = "poison-1", uuid.uuid4().hex[:6]
    prov = provision(engine, [dev])
    n = 300
    bypass = {str(i) for i in range(POISON_EVERY, n + 1, POISON_EVERY)}
    signed_nul = {str(i) for i in range(5, n + 1, 5)} - bypass
    good = n - len(bypass) - len(signed_nul)
    pipe = Pipeline(
        decoder=PoisoningDecoder(
            poison=bypass,
            keys=KeyCache(sql_loader(engine)),
            max_payload=256 * 1024,
            clock_skew_s=300,
        ),
        writer=StoreWriter(engine),
        ack=lambda _m, _q: None,
        batch_size=100,
        batch_ms=100,
    ).start()
    t0 = time.monotonic()
    try:
        for i in range(1, n + 1):
            extra = {"example:q": "a\x00b"} if str(i) in signed_nul else {}
            payload = prov.envelope(dev, i, [event(f"{tag}{i}", **extra)])
            pipe.submit(f"trace/v1/{dev}/events", payload, i, 1)
        assert wait_for(
            lambda: scalar(engine, "select count(*) from dead_letter") >= n - good, 30
        ), "ingest stopped behind a poisoned envelope"
        assert wait_for(lambda: scalar(engine, "select count(*) from event") >= good, 30)
        took = time.monotonic() - t0
    finally:
        pipe.stop()
    assert took < 10, f"{took:.1f}s"
    assert scalar(engine, "select count(*) from event") == good
    assert scalar(engine, "select count(distinct event_hash) from event") == good
    with engine.connect() as c:
        rows = c.execute(
            sa.text("select reason, field, detail, payload from dead_letter order by id")
        ).all()
        seen = set(c.execute(sa.text("select seq from envelope_seen")).scalars())
    assert seen == {str(i) for i in range(1, n + 1)} - bypass - signed_nul
    by_reason: dict[str, set[str]] = {}
    for reason, field, detail, payload in rows:
        seq = payload.split(b'"seq":"', 1)[1].split(b'"', 1)[0].decode()
        by_reason.setdefault(reason, set()).add(seq)
        if reason == "unstorable_value":
            assert field == "events[0].example:q" and "U+0000" in detail
        else:
            assert reason == "store_rejected" and f"{dev}/{seq}" in detail
            assert "\x00" not in detail
    assert by_reason == {"store_rejected": bypass, "unstorable_value": signed_nul}
    engine.dispose()
