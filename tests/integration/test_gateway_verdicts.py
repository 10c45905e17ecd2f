"""Verdict semantics through the pipeline (decoder -> verdicts -> store) on both backends.

No broker: messages are submitted to the :class:`Pipeline` directly and replies are captured
with the envelope seqs that were committed when each went out: a verdict resting on an envelope
still in flight goes out only after that envelope is committed; one resting on committed events
only goes out at once, before its own batch commits.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from gateway.decode import Decoder
from gateway.key_cache import KeyCache, sql_loader
from gateway.pipeline import Pipeline
from gateway.store import StoreWriter
from gateway.verdicts import VerdictService
from tests.support.gateway import SGLN, event, provision, wait_for
from traceability.registry.models import Lot, Product, ProductCategory
from traceability.store.engine import create_engine

GTIN = "80614141123458"  # urn:epc:id:sgtin:0614141.812345.*
OTHER_PLACE = "urn:epc:id:sgln:0614141.00001.7"  # under the device's location, not equal


class Harness:
    def __init__(self, url: str, dev: str, *, lot_ttl_s: float = 2.0) -> None:
        self.engine = create_engine(url=url)
        self.dev = dev
        self.replies: list[dict[str, Any]] = []
        self.stored_at_publish: dict[str, set[str]] = {}  # reply seq -> seqs committed then
        self.cond = threading.Condition()
        self.verdicts = VerdictService(self.engine, lot_ttl_s=lot_ttl_s)
        self.pipeline = Pipeline(
            decoder=Decoder(
                keys=KeyCache(sql_loader(self.engine)), max_payload=256 * 1024, clock_skew_s=300
            ),
            writer=StoreWriter(self.engine),
            ack=lambda _m, _q: None,
            publish=self._publish,
            verdicts=self.verdicts,
            batch_ms=200,
        ).start()
        self.mid = 0

    def _publish(self, topic: str, payload: bytes) -> None:
        doc = json.loads(payload)
        assert topic == f"trace/v1/{self.dev}/verdicts"
        with self.engine.connect() as c:
            stored = c.execute(
                sa.text("select seq from envelope_seen where device_id = :d"), {"d": doc["device"]}
            ).scalars()
            self.stored_at_publish[doc["seq"]] = set(stored)
        with self.cond:
            self.replies.append(doc)
            self.cond.notify_all()

    def submit(self, payload: bytes) -> None:
        self.mid += 1
        self.pipeline.submit(f"trace/v1/{self.dev}/events", payload, self.mid, 1)

    def reply(self, seq: int, timeout: float = 15.0) -> list[str]:
        with self.cond:
            assert self.cond.wait_for(
                lambda: any(r["seq"] == str(seq) for r in self.replies), timeout
            )
            doc = next(r for r in self.replies if r["seq"] == str(seq))
        return [v["verdict"] for v in doc["verdicts"]]

    def close(self) -> None:
        self.pipeline.stop()
        self.verdicts.close()
        self.engine.dispose()


@dataclass(frozen=True)
class Pharmacy:
    """A provisioned pharmacy device on one store (the engine is disposed after the test)."""

    url: str
    dev: str
    engine: sa.Engine
    prov: Any
    reply: str


@pytest.fixture
def pharmacy(store_url: str) -> Iterator[Pharmacy]:
    dev = f"pharm-{uuid.uuid4().hex[:4]}"
    engine = create_engine(url=store_url)
    prov = provision(engine, [dev])
    yield Pharmacy(store_url, dev, engine, prov, f"trace/v1/{dev}/verdicts")
    engine.dispose()


def urn(serial: str) -> str:
    return f"urn:epc:id:sgtin:0614141.812345.{serial}"


def commission(serial: str, lot: str, **kw: Any) -> dict[str, Any]:
    return event(serial, ilmd={"lotNumber": lot}, **kw)


def test_every_verdict(store_url: str) -> None:
    t = uuid.uuid4().hex[:4]
    dev = f"pharm-{t}"
    engine = create_engine(url=store_url)
    prov = provision(engine, [dev])
    with Session(engine) as s:
        s.add(
            Product(gtin=GTIN, name="Test drug", category=ProductCategory.drug, party_id="p-test")
        )
        s.flush()
        s.add(Lot(gtin=GTIN, lot=f"L1{t}", expires_on=date.today() + timedelta(days=300)))
        s.add(Lot(gtin=GTIN, lot=f"L2{t}", recalled=True))
        s.add(Lot(gtin=GTIN, lot=f"L3{t}", expires_on=date.today() - timedelta(days=3)))
        s.commit()
    reply = f"trace/v1/{dev}/verdicts"
    h = Harness(store_url, dev, lot_ttl_s=0.0)
    try:
        early = datetime.now(UTC) - timedelta(seconds=30)
        # commissioning, not waited for: the reply envelope right after it must see it
        h.submit(
            prov.envelope(
                dev,
                1,
                [
                    commission(f"A{t}", f"L1{t}"),
                    commission(f"B{t}", f"L1{t}"),
                    commission(f"C{t}", f"L2{t}"),
                    commission(f"D{t}", f"L3{t}"),
                    commission(f"E{t}", f"L1{t}"),
                    commission(f"F{t}", f"L1{t}", when=early),
                ],
            )
        )
        h.submit(
            prov.envelope(
                dev,
                2,
                [
                    event(f"A{t}", step="dispensing"),
                    event(f"A{t}", step="dispensing", disposition="dispensed", action="OBSERVE"),
                    event(f"C{t}", step="dispensing"),
                    event(f"D{t}", step="dispensing"),
                    event(f"G{t}", step="dispensing"),
                    {
                        **event("x", step="receiving"),
                        "epcList": [f"https://id.gs1.org/01/{GTIN}/10/L9{t}/21/B{t}"],
                    },
                    {
                        **event("x", step="receiving"),
                        "epcList": [f"https://id.gs1.org/01/{GTIN}/21/E{t}?17=200101"],
                    },
                    event(f"F{t}", step="receiving", read_point=OTHER_PLACE),
                ],
                reply_to=reply,
            )
        )
        assert h.reply(2) == [
            "ok",
            "already_dispensed",
            "recalled",
            "expired",
            "unknown_serial",
            "lot_mismatch",
            "expired",
            "suspect",
        ]
        # from memory: A is dispensed; B (Digital Link) is the same item as its URN
        h.submit(
            prov.envelope(
                dev,
                3,
                [event(f"A{t}", step="dispensing"), event(f"B{t}", step="dispensing")],
                reply_to=reply,
            )
        )
        assert h.reply(3) == ["already_dispensed", "ok"]
        # a recall after the lot was cached shows (lot_ttl_s=0)
        with engine.begin() as c:
            c.execute(
                sa.text("update lot set recalled = :r where lot = :l"), {"r": True, "l": f"L1{t}"}
            )
        h.submit(prov.envelope(dev, 4, [event(f"E{t}", step="dispensing")], reply_to=reply))
        assert h.reply(4) == ["recalled"]
        h.submit(prov.envelope(dev, 5, [event(f"F{t}", step="dispensing")], reply_to=reply))
        assert h.reply(5) == ["recalled"]  # F is of lot L1 too
        # reply 2 rested on envelope 1's commissioning, in flight when it was judged (or
        # committed by then): it went out only once envelope 1 was committed
        assert "1" in h.stored_at_publish["2"]
        assert {"1", "2"} <= h.stored_at_publish["3"]  # 3 rests on 2's dispensing of A
    finally:
        h.close()
    # a new gateway loads the same state from the store (ledger_item -> event)
    h = Harness(store_url, dev)
    try:
        h.submit(
            prov.envelope(
                dev,
                6,
                [
                    event(f"A{t}", step="dispensing"),
                    event(f"B{t}", step="dispensing"),
                    event(f"E{t}", step="dispensing"),
                    event(f"F{t}", step="dispensing"),
                    event(f"G{t}", step="dispensing"),
                    {
                        **event("x", step="receiving"),
                        "epcList": [f"https://id.gs1.org/01/{GTIN}/10/L1{t}/21/A{t}"],
                    },
                ],
                reply_to=reply,
            )
        )
        assert h.reply(6) == [
            "already_dispensed",
            "already_dispensed",
            "already_dispensed",
            "already_dispensed",
            "unknown_serial",
            "already_dispensed",
        ]
    finally:
        h.close()
    engine.dispose()


def test_reply_batch_is_not_held_for_batch_ms(sqlite_url: str) -> None:
    dev = f"pharm-{uuid.uuid4().hex[:4]}"
    engine = create_engine(url=sqlite_url)
    prov = provision(engine, [dev])
    h = Harness(sqlite_url, dev)
    h.pipeline.batch_s = 5.0
    try:
        h.submit(prov.envelope(dev, 1, [event("s1")]))  # opens a batch that would wait 5 s
        h.submit(
            prov.envelope(
                dev, 2, [event("s1", step="dispensing")], reply_to=f"trace/v1/{dev}/verdicts"
            )
        )
        h.submit(prov.envelope(dev, 3, [event("s2")]))
        assert wait_for(lambda: any(r["seq"] == "2" for r in h.replies), 2.0)
        assert h.reply(2) == ["ok"]
    finally:
        h.close()
    engine.dispose()


def test_settled_verdict_goes_out_before_its_batch_commits(pharmacy: Pharmacy) -> None:
    """A verdict on committed state only is published at once; one resting on an envelope
    still in flight waits for that envelope's commit."""
    dev, engine, prov, reply = pharmacy.dev, pharmacy.engine, pharmacy.prov, pharmacy.reply
    h = Harness(pharmacy.url, dev)
    h.pipeline.batch_s = 0.01
    gate = threading.Event()
    write = h.pipeline.writer.write

    def gated(batch: Any) -> Any:
        assert gate.wait(30)
        return write(batch)

    try:
        h.submit(prov.envelope(dev, 1, [event("s1")]))  # commissioning, committed first
        assert wait_for(lambda: count_seen(engine, dev) == 1, 10)
        h.pipeline.writer.write = gated  # type: ignore[method-assign]
        h.submit(prov.envelope(dev, 2, [event("s1", step="dispensing")], reply_to=reply))
        assert h.reply(2, timeout=5) == ["ok"]  # while its batch cannot commit
        assert h.stored_at_publish["2"] == {"1"}
        # 3 rests on 2's dispensing, which is not committed: held back until it is
        h.submit(prov.envelope(dev, 3, [event("s1", step="dispensing")], reply_to=reply))
        assert not wait_for(lambda: any(r["seq"] == "3" for r in h.replies), 0.5)
        gate.set()
        assert h.reply(3) == ["already_dispensed"]
        assert {"1", "2"} <= h.stored_at_publish["3"]
    finally:
        gate.set()
        h.close()


def test_a_second_gateway_sees_what_the_first_recorded(pharmacy: Pharmacy) -> None:
    """Two gateways on one shared subscription: a serial dispensed through one is
    ``already_dispensed`` at the other, which had it cached as merely commissioned."""
    dev, engine, prov, reply = pharmacy.dev, pharmacy.engine, pharmacy.prov, pharmacy.reply
    a, b = Harness(pharmacy.url, dev), Harness(pharmacy.url, dev)
    try:
        a.submit(prov.envelope(dev, 1, [event("s1")]))
        assert wait_for(lambda: count_seen(engine, dev) == 1, 10)
        b.submit(prov.envelope(dev, 2, [event("s1", step="receiving")], reply_to=reply))
        assert b.reply(2) == ["ok"]  # b now has s1 cached
        a.submit(prov.envelope(dev, 3, [event("s1", step="dispensing")], reply_to=reply))
        assert a.reply(3) == ["ok"]
        assert wait_for(lambda: count_seen(engine, dev) == 3, 10)
        b.submit(prov.envelope(dev, 4, [event("s1", step="dispensing")], reply_to=reply))
        assert b.reply(4) == ["already_dispensed"]
    finally:
        a.close()
        b.close()


def test_a_redelivered_envelope_gets_the_same_verdicts(pharmacy: Pharmacy) -> None:
    dev, engine, prov, reply = pharmacy.dev, pharmacy.engine, pharmacy.prov, pharmacy.reply
    h = Harness(pharmacy.url, dev)
    try:
        h.submit(prov.envelope(dev, 1, [event("s1"), event("s2")]))
        ask = prov.envelope(
            dev,
            2,
            [event("s1", step="dispensing"), event("s1", step="dispensing", action="OBSERVE")],
            reply_to=reply,
        )
        h.submit(ask)
        assert h.reply(2) == ["ok", "already_dispensed"]
        assert wait_for(lambda: count_seen(engine, dev) == 2, 10)
        with h.cond:
            h.replies.clear()
        h.submit(ask)  # the broker redelivers it (say the PUBACK was lost)
        assert h.reply(2) == ["ok", "already_dispensed"]
        h.submit(prov.envelope(dev, 3, [event("s1", step="dispensing")], reply_to=reply))
        assert h.reply(3) == ["already_dispensed"]
    finally:
        h.close()
    h = Harness(pharmacy.url, dev)  # a restarted gateway: it never saw envelope 2
    try:
        h.submit(ask)
        assert h.reply(2) == ["ok", "already_dispensed"]
    finally:
        h.close()


def count_seen(engine: sa.Engine, dev: str) -> int:
    with engine.connect() as c:
        return int(
            c.execute(
                sa.text("select count(*) from envelope_seen where device_id = :d"), {"d": dev}
            ).scalar_one()
        )


def test_sgln_constant_is_the_provisioned_location() -> None:
    assert OTHER_PLACE.rsplit(".", 1)[0] == SGLN.rsplit(".", 1)[0] and OTHER_PLACE != SGLN
