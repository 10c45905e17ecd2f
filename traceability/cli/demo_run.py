"""The demo's main job, composed from the packages (the CLI is the one place that may).

Steps: (1) create/upgrade the store; (2) register the simulated world — parties in Chongqing
with unified social credit codes (one on the serious-violation list), their locations, devices
with enrolled Ed25519 keys, products across food, drug and special equipment, lots; (3) start
the broker (in-process amqtt unless ``TRACE_MQTT_URL`` names one) and a gateway; (4) stream the
three site kinds' signed envelopes through it (farm produce chain, drug chain with a pharmacy
verdict request, elevator installation/maintenance/inspection); (5) wait until every event is
stored; (6) recall one lot; (7) sign a ledger checkpoint; (8) summarise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from traceability.config import Settings
from traceability.registry.models import Lot, ProductCategory
from traceability.store.engine import get_engine, redact, session_scope, upgrade
from traceability.store.models import DeadLetter, EventRow, TraceEdge

Step = Callable[[str], None]


@dataclass
class DemoRun:
    """What the demo did and where; ``summary()`` is the ``--json`` document."""

    settings: Settings
    broker_url: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, Any] = field(default_factory=dict)
    checkpoint: str | None = None
    ledger_size: int = 0
    receipt_file: str | None = None
    log_key: str | None = None
    seconds: float = 0.0
    stoppers: list[Callable[[], None]] = field(default_factory=list)

    def summary(self, *, serving: bool = False) -> dict[str, Any]:
        """The run as a document; ``urls`` only while the API serves (``serving``)."""
        base = self.settings.base_url
        out: dict[str, Any] = {
            "store": redact(self.settings.effective_database_url),
            "broker": self.broker_url,
            "data_dir": str(self.settings.data_dir.resolve()),
            **self.counts,
            "ledger_size": self.ledger_size,
            "checkpoint": self.checkpoint,
            "samples": self.samples,
            "receipt": {"file": self.receipt_file, "log_key": self.log_key},
            "seconds": round(self.seconds, 2),
        }
        if serving:
            out["urls"] = {
                "api": base,
                "openapi": f"{base}/openapi.json",
                "checkpoint": f"{base}/ledger/checkpoint",
                "dead_letters": f"{base}/deadletters",
                "metrics": f"{base}/metrics",
            }
        return out

    def stop(self) -> None:
        while self.stoppers:
            self.stoppers.pop()()


def run(settings: Settings, *, seed: int = 7, step: Step = lambda _m: None) -> DemoRun:
    """Run the scenario end to end; the caller must call ``stop()`` on the result."""
    from devices.simulators.run import publish_scenario, register_world
    from devices.simulators.scenarios import build_scenario
    from gateway.app import Gateway
    from gateway.config import GatewayConfig
    from gateway.embedded_broker import EmbeddedBroker

    t0 = time.monotonic()
    demo = DemoRun(settings=settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url

    step(f"store: upgrading {redact(url)}")
    upgrade(url=url)
    engine = get_engine(url)

    scenario = build_scenario("all", seed=seed, end=datetime.now(UTC))
    step(
        f"registry: registering {len(scenario.world.parties)} parties, "
        f"{len(scenario.world.devices)} devices, {len(scenario.world.products)} products"
    )
    with session_scope(engine=engine) as session:
        report = register_world(session, scenario.world, data_dir=settings.data_dir, by="demo")
    demo.counts["registered"] = {"created": report.created, "existing": report.existing}

    embedded = settings.mqtt_url == "embedded"
    try:
        if embedded:
            broker = EmbeddedBroker().start()
            demo.stoppers.append(broker.stop)
            demo.broker_url = broker.url
        else:
            from traceability.cli.failures import require_broker

            require_broker(settings.mqtt_url)
            demo.broker_url = settings.mqtt_url
        step(f"broker: {demo.broker_url}{' (embedded, MQTT 3.1.1)' if embedded else ''}")
        config = GatewayConfig.from_settings(settings, mqtt_url=demo.broker_url)
        gateway = Gateway(config, mqtt5=not embedded).start()
        demo.stoppers.append(gateway.stop)
        step("gateway: subscribed; streaming the farm, pharmacy and elevator sites")

        with Session(engine) as session:
            before = _count(session, EventRow)
            dead_before = _count(session, DeadLetter)
        published = publish_scenario(
            scenario,
            broker_url=demo.broker_url,
            data_dir=settings.data_dir / "devices",
            drain_timeout=60.0,
            verdict_timeout=5.0,
            protocol=4 if embedded else 5,
        )
        step(
            f"devices: {published.envelopes} envelopes with {published.events} events "
            f"published in {published.seconds:.1f}s (queues drained: {published.drained})"
        )
        stored = _wait_for_events(engine, before + published.events, timeout=60.0)
        with Session(engine) as session:
            demo.counts["published"] = {
                "envelopes": published.envelopes,
                "events": published.events,
            }
            demo.counts["stored"] = {
                "events": stored,
                "new_events": stored - before,
                "edges": _count(session, TraceEdge),
                "dead_letters": _count(session, DeadLetter) - dead_before,
            }
            demo.counts["devices_by_site"] = _devices_by_category(scenario)
            demo.counts["verdicts"] = _verdict_counts(published.verdicts)
        step(f"gateway: {stored - before} new events stored, verified and in the ledger")

        recalled = _recall_one_lot(engine, scenario, settings)
        step(f"recall: lot {recalled[1]} of {recalled[0]} recalled")
        demo.counts["labels"] = _print_labels(engine, settings, scenario)
        step(f"labels: {_label_line(demo.counts['labels'])}")
        demo.samples = _samples(engine, scenario, recalled)
        demo.checkpoint, demo.ledger_size = _checkpoint(engine, settings)
        step(f"ledger: {demo.ledger_size} records; checkpoint signed")
        demo.receipt_file, demo.log_key = _receipt(engine, settings, demo.samples["event_id"])
        step(f"receipt: {demo.receipt_file} (verifies offline)")
    except BaseException:
        demo.stop()
        raise
    demo.seconds = time.monotonic() - t0
    return demo


def _count(session: Session, model: Any) -> int:
    return int(session.exec(select(sa.func.count()).select_from(model)).one())


def _wait_for_events(engine: sa.Engine, want: int, *, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            have = _count(session, EventRow)
        if have >= want or time.monotonic() > deadline:
            return have
        time.sleep(0.1)


def _devices_by_category(scenario: Any) -> dict[str, list[str]]:
    """Which devices of each site kind fed the gateway in this run."""
    from devices.simulators.scenarios import SCENARIOS, build_scenario

    sent = {b.device_id for b in scenario.batches}
    return {
        name: sorted(
            d.id for d in build_scenario(name, seed=scenario.seed).world.devices if d.id in sent
        )
        for name in SCENARIOS
    }


def _verdict_counts(verdicts: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for messages in verdicts.values():
        for msg in messages:
            for item in msg.get("verdicts", []):
                v = str(item.get("verdict"))
                out[v] = out.get(v, 0) + 1
    return out


def _recall_one_lot(engine: sa.Engine, scenario: Any, settings: Settings) -> tuple[str, str]:
    from traceability.recall.service import open_recall

    lot_create = next(
        lot for lot in scenario.world.lots if _category(scenario, lot.gtin) == ProductCategory.food
    )
    with session_scope(engine=engine) as session:
        lot = session.get(Lot, (lot_create.gtin, lot_create.lot))
        assert lot is not None
        if not lot.recalled:
            open_recall(
                session,
                data_dir=settings.data_dir,
                lots=[(lot_create.gtin, lot_create.lot)],
                level="CN-I",
                reason="demo: Listeria monocytogenes found in a retained sample",
                opened_by="cq-amr",
            )
    return lot_create.gtin, lot_create.lot


def _category(scenario: Any, gtin: str) -> ProductCategory | None:
    return next((p.category for p in scenario.world.products if p.gtin == gtin), None)


def _samples(engine: sa.Engine, scenario: Any, recalled: tuple[str, str]) -> dict[str, Any]:
    food = next(p for p in scenario.world.products if p.category == ProductCategory.food)
    with Session(engine) as session:
        event_id = session.exec(
            select(EventRow.event_hash).order_by(EventRow.ledger_index.desc()).limit(1)  # type: ignore[attr-defined]
        ).first()
    return {
        "event_id": event_id,
        "product_gtin": food.gtin,
        "recalled_lot": {"gtin": recalled[0], "lot": recalled[1]},
        **_trace_samples(engine, recalled),
        **_equipment_sample(engine, scenario),
    }


def _equipment_sample(engine: sa.Engine, scenario: Any) -> dict[str, Any]:
    """The consumer page of a special-equipment unit: its model's GTIN, its code as serial."""
    from traceability.equipment.service import units
    from traceability.events.item_key import item_elements
    from traceability.identifiers.gs1 import prefix_length_for

    kit = [p.gtin for p in scenario.world.products if p.category == ProductCategory.equipment]
    with Session(engine) as session:
        found = units(session)
    for unit in found:
        giai = item_elements(unit.epc).get("8004", "")  # an EPC URN or an item key alike
        gtin = next((g for g in kit if giai.startswith(g[1 : 1 + prefix_length_for(g[1:])])), None)
        if giai and gtin:
            return {"equipment_item_url": f"/01/{gtin}/21/{unit.code}"}
    return {"equipment_item_url": None}


def _trace_samples(engine: sa.Engine, recalled: tuple[str, str]) -> dict[str, Any]:
    """One recalled item's Digital Link and the overdue equipment unit's code."""
    from traceability.equipment.service import overdue
    from traceability.events.item_key import item_elements, item_key
    from traceability.trace.resolve import lot_ids

    with Session(engine) as session:
        ids = lot_ids(session, gtin=recalled[0], lot=recalled[1])
        late = overdue(session)
    # a serialised item (an SGTIN, in either form: its key is the canonical Digital Link)
    item = next((i for i in ids if "21" in item_elements(i)), ids[0] if ids else None)
    return {
        "recalled_item_url": item_key(item) if item else None,
        "overdue_equipment": late[0]["equipment_code"] if late else None,
    }


def _print_labels(engine: sa.Engine, settings: Settings, scenario: Any) -> dict[str, Any]:
    """A small run for a produce lot (PNG, QR) and a drug lot (ZPL: QR + GS1 DataMatrix),
    each commissioned in the ledger by the party's print station."""
    from datetime import timedelta

    from label_printing import check_request, open_station, print_labels

    out: dict[str, Any] = {}
    for name, category, fmt in (("produce", ProductCategory.food, "png"),
                                ("drug", ProductCategory.drug, "zpl")):  # fmt: skip
        lot = next(x for x in scenario.world.lots if _category(scenario, x.gtin) == category)
        product = next(p for p in scenario.world.products if p.gtin == lot.gtin)
        expiry = lot.expires_on or (datetime.now(UTC).date() + timedelta(days=365))
        request = check_request(
            gtin=lot.gtin,
            lot=lot.lot,
            expiry=expiry,
            count=4,
            format=fmt,
            max_count=4,
            product_name=product.name,
        )
        party = product.party_id
        station = open_station(
            engine, data_dir=settings.data_dir, station=f"label-{party}"[:64], party_id=party
        )
        report = print_labels(
            engine, request=request, station=station, out_dir=settings.data_dir / "labels" / name
        )
        out[name] = {k: v for k, v in report.to_dict().items() if k != "states"}
    return out


def _label_line(labels: dict[str, Any]) -> str:
    return "; ".join(f"{k} lot {v['lot']}: {v['count']} {v['format']}" for k, v in labels.items())


def _checkpoint(engine: sa.Engine, settings: Settings) -> tuple[str, int]:
    from traceability.ledger.checkpoint import sign_checkpoint

    with session_scope(engine=engine) as session:
        cp = sign_checkpoint(session, settings=settings)
    return cp.note, cp.size


def _receipt(engine: sa.Engine, settings: Settings, event_id: str) -> tuple[str, str]:
    """An offline receipt for the sample event in data_dir/receipts, and the log's key."""
    from traceability.ledger.checkpoint import load_log_signer
    from traceability.ledger.receipt import build_receipt

    folder = settings.data_dir.resolve() / "receipts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sample-event.tlog-proof"
    with Session(engine) as session:
        text = build_receipt(session, event_hash=event_id)
    path.write_text(text, encoding="utf-8")
    return str(path), load_log_signer(settings).verifier.vkey()
