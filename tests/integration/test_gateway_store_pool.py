"""The store writer never hands the pool a connection still in psycopg pipeline mode.

Before: ``StoreWriter.write`` let its session own the connection, and ``session.commit()``
returned that connection to the pool while the ``raw.pipeline()`` block was still open. A
thread checking out a connection of the same engine in that window (the verdict look-ups, a
reader) got one in pipeline mode, its pre-ping failed, and a device's verdict was never sent
(seen once in CI as a 15 s wait in ``test_every_verdict[timescale]``). The window is narrow,
so this test does not race for it: it records the pipeline status of every connection the
pool takes back, which must be OFF every time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from psycopg.pq import PipelineStatus

from gateway.decode import Accepted, Decoder
from gateway.key_cache import KeyCache, sql_loader
from gateway.store import PIPELINE_EVENTS, StoreWriter
from tests.support.gateway import event, provision
from traceability.store.engine import create_engine


def test_no_connection_is_checked_in_while_in_pipeline_mode(pg_url: str) -> None:
    engine = create_engine(url=pg_url)
    try:
        prov = provision(engine, ["pool-1"])
        decoder = Decoder(
            keys=KeyCache(sql_loader(engine)), max_payload=256 * 1024, clock_skew_s=300
        )
        statuses: list[PipelineStatus] = []

        def on_checkin(dbapi_conn: Any, _record: Any) -> None:
            if dbapi_conn is not None:  # None: the connection was invalidated
                statuses.append(dbapi_conn.pgconn.pipeline_status)

        sa.event.listen(engine, "checkin", on_checkin)
        writer = StoreWriter(engine)
        batch = []
        for seq in range(1, 4):
            out = decoder.decode(
                "trace/v1/pool-1/events",
                prov.envelope("pool-1", seq, [event(f"P{seq}")]),
                datetime.now(UTC),
            )
            assert isinstance(out, Accepted), out
            batch.append(out)
        assert sum(len(a.events) for a in batch) <= PIPELINE_EVENTS  # the pipeline path
        result = writer.write(batch)
        assert [a.envelope.seq for a in result.stored] == ["1", "2", "3"]
        assert statuses, "the writer's connection was never returned to the pool"
        assert all(s == PipelineStatus.OFF for s in statuses), statuses
        with engine.connect() as c:  # and the pool's connection is usable afterwards
            assert c.execute(sa.text("select count(*) from envelope_seen")).scalar_one() == 3
    finally:
        engine.dispose()
