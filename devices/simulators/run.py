"""The impure half of the simulators: register a scenario's world, publish its batches."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from devices.publisher import Publisher
from devices.simulators.world import Scenario, World
from traceability.authority import service as authority
from traceability.errors import ConflictError
from traceability.registry import service as registry

DRAIN_GRACE_S = 2.0  # with a duration: how long the outboxes may still drain after it


@dataclass
class RegisterReport:
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, *, created: bool) -> None:
        target = self.created if created else self.existing
        target[kind] = target.get(kind, 0) + 1


def register_world(
    session: Session, world: World, *, data_dir: Path | None = None, by: str = "simulator"
) -> RegisterReport:
    """Create everything the world needs; what already exists is left as it is (re-runnable).
    With ``data_dir`` (the platform's key lives there) parties, devices and products are
    created through :mod:`traceability.authority`, so each gets its platform-signed ledger
    entry (``tracectl verify`` step 10); without, plain registry rows (unit tests). The caller
    commits (use ``session_scope``)."""
    report = RegisterReport()
    if data_dir is not None:
        authority.baseline(session, data_dir=data_dir)  # rows from before ledgering began

    def made(create: Any, ledgered: Any) -> Any:
        if data_dir is None:
            return lambda d: create(session, data=d)
        return lambda d: ledgered(session, data_dir=data_dir, data=d, by=by)

    steps: list[tuple[str, list[Any], Any]] = [
        ("party", world.parties, made(registry.create_party, authority.create_party)),
        ("location", world.locations, lambda d: registry.create_location(session, data=d)),
        (
            "device",
            [d.create for d in world.devices],
            made(registry.create_device, authority.create_device),
        ),
        ("product", world.products, made(registry.create_product, authority.create_product)),
        ("lot", world.lots, lambda d: registry.create_lot(session, data=d)),
    ]
    for kind, items, create in steps:
        for item in items:
            report.count(kind, created=_try(session, create, item))
    for dev in world.devices:
        created = _try(
            session,
            lambda d: registry.enroll_device_key(
                session, device_id=d.id, public_key=d.key.public_key
            ),
            dev,
        )
        report.count("device_key", created=created)
    return report


def _try(session: Session, create: Any, item: Any) -> bool:
    try:
        with session.begin_nested():
            create(item)
    except ConflictError:
        return False
    return True


@dataclass
class PublishReport:
    envelopes: int = 0
    events: int = 0
    seconds: float = 0.0
    drained: bool = False
    by_device: dict[str, list[int]] = field(default_factory=dict)  # device -> seqs
    verdicts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "dev/seq" -> msgs


def publish_scenario(
    scenario: Scenario,
    *,
    broker_url: str,
    data_dir: Path,
    rate: float | None = None,
    duration: float | None = None,
    drain_timeout: float = 30.0,
    verdict_timeout: float = 0.0,
    protocol: int = 5,
    await_stored: bool = True,
) -> PublishReport:
    """Publish every batch (in order) through one :class:`Publisher` per device.

    ``rate``: envelopes per second (None = as fast as the outboxes drain); ``duration``: stop
    handing new batches after this many seconds. Envelopes asking for a reply wait up to
    ``verdict_timeout`` for their verdict (0 = do not wait; verdicts are still collected).
    ``drained`` means every envelope was confirmed by a gateway (``trace/v1/{device}/stored``);
    ``await_stored=False`` counts the broker's PUBACK instead (a bare broker, no gateway).
    """
    report = PublishReport()
    publishers = {
        d.id: Publisher(
            key=d.key,
            broker_url=broker_url,
            data_dir=data_dir,
            protocol=protocol,
            await_stored=await_stored,
            subscribe_verdicts=any(b.reply and b.device_id == d.id for b in scenario.batches),
        ).start()
        for d in scenario.world.devices
        if any(b.device_id == d.id for b in scenario.batches)
    }
    t0 = time.monotonic()
    try:
        for i, batch in enumerate(scenario.batches):
            if duration is not None and time.monotonic() - t0 >= duration:
                break
            if rate:
                delay = t0 + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            pub = publishers[batch.device_id]
            if batch.reader is not None:
                seq = pub.publish_reader(**batch.reader, reply=batch.reply)
            else:
                seq = pub.send(batch.events, reply=batch.reply)
            report.envelopes += 1
            report.events += len(batch.events)
            report.by_device.setdefault(batch.device_id, []).append(seq)
            if batch.reply and verdict_timeout > 0:
                pub.wait_connected(timeout=verdict_timeout)
                pub.wait_verdict(seq, timeout=verdict_timeout)
        deadline = time.monotonic() + drain_timeout
        if duration is not None:  # the whole run stays within --duration (+ a short grace)
            deadline = min(deadline, max(t0 + duration, time.monotonic() + DRAIN_GRACE_S))
        report.drained = all(
            p.wait_drained(timeout=max(0.0, deadline - time.monotonic()))
            for p in publishers.values()
        )
    finally:
        for dev, pub in publishers.items():
            for seq_text, msgs in pub.verdicts.by_seq.items():
                report.verdicts[f"{dev}/{seq_text}"] = msgs
            pub.close(drain_timeout=0.5)
    report.seconds = time.monotonic() - t0
    return report
