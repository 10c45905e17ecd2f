"""Raw reader JSON on ``trace/v1/{device}/reader`` through the real Mosquitto into TimescaleDB:
stored as the events the reads derive (with their trace edges and custody records), a
redelivery is a duplicate, a bad read a dead letter, and the ledger audits OK."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from typer.testing import CliRunner

from gateway.app import Gateway
from tests.integration.test_gateway_pipeline import config_for, count
from tests.support.gateway import SGLN, Publisher, provision, wait_for
from traceability.events.edges import derive_edges
from traceability.ledger import audit
from traceability.readers import derive_member_events
from traceability.signing import envelope as env_mod
from traceability.store.engine import create_engine

DOCK_IN = "urn:epc:id:sgln:0614141.00001.in"  # under the device's bound location (SGLN)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"  # nanoseconds, as the R700 sends


def impinj(t: datetime, epc_hex: str, antenna: int) -> dict[str, Any]:
    return {
        "timestamp": _iso(t),
        "hostname": "impinj-dock",
        "eventType": "tagInventory",
        "tagInventoryEvent": {"epcHex": epc_hex, "antennaPort": antenna, "peakRssiCdbm": -5400},
    }


def reader_member(t0: datetime, serials: range) -> dict[str, Any]:
    messages = []
    for k, serial in enumerate(serials):
        epc_hex = f"3074257BF7194E4000{serial:06X}"
        for r in range(3):  # each tag read three times within the window: one observation
            messages.append(impinj(t0 + timedelta(seconds=5 * k, milliseconds=300 * r), epc_hex, 1))
    messages.append(
        {"timestamp": _iso(t0), "eventType": "inventoryStatus", "inventoryStatusEvent": {}}
    )
    config = {
        "action": "OBSERVE",
        "biz_step": "receiving",
        "disposition": "in_progress",
        "read_point": SGLN,
        "biz_location": SGLN,
        "antenna_read_points": {"1": DOCK_IN},
        "window_ms": 2000,
        "timezone_offset": "+08:00",
    }
    return {"format": "impinj-iot/v1", "config": config, "messages": messages}


def test_reader_json_is_stored_deduplicated_and_audited(
    pg_url: str, mqtt_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine = create_engine(url=pg_url)
    cfg = config_for(pg_url, mqtt_url)
    dev = f"dock-{uuid.uuid4().hex[:6]}"
    kid, seed = provision(engine, [dev]).keys[dev]
    t0 = datetime.now(UTC) - timedelta(minutes=2)
    members = [reader_member(t0, range(6789, 6793)), reader_member(t0, range(7000, 7002))]
    derived = [derive_member_events(member=m) for m in members]
    assert [len(d) for d in derived] == [4, 2]  # tags pass 5 s apart: an event each
    payloads = [
        env_mod.build(device=dev, key_id=kid, seed=seed, seq=i + 1, reader=m)
        for i, m in enumerate(members)
    ]
    bad = reader_member(t0, range(8000, 8001))
    bad["messages"][1]["tagInventoryEvent"]["epcHex"] = "not-hex"
    topic = f"trace/v1/{dev}/reader"
    try:
        with Gateway(cfg):
            pub = Publisher(cfg.mqtt_host, cfg.mqtt_port)
            for p in payloads:
                pub.publish(topic, p)
            pub.publish(topic, payloads[0])  # redelivered: a duplicate, not stored again
            pub.publish(topic, env_mod.build(device=dev, key_id=kid, seed=seed, seq=3, reader=bad))
            pub.publish(f"trace/v1/{dev}/events", payloads[1])  # reader JSON on .../events
            assert pub.wait_acked(5, 20)
            assert wait_for(lambda: count(engine, "select count(*) from dead_letter") >= 2, 20)
            assert wait_for(lambda: count(engine, "select count(*) from event") >= 6, 20)
            pub.close()
        with engine.connect() as c:
            bodies = [
                r[0] for r in c.execute(sa.text("select body from event order by ledger_index"))
            ]
            dead = c.execute(sa.text("select reason, field from dead_letter order by reason")).all()
            edges = count(engine, "select count(*) from trace_edge")
        assert bodies == derived[0] + derived[1]
        assert (
            edges == sum(len(derive_edges(e)) for e in bodies) == 6
        )  # observed at the bizLocation
        assert [tuple(r) for r in dead] == [
            ("reader_invalid", "reader.messages[1].tagInventoryEvent.epcHex"),
            ("topic_mismatch", "reader"),
        ]
        with Session(engine) as s:
            report = audit.audit(s)
        assert report.ok, report.to_dict()
        from traceability.cli.main import app
        from traceability.config import get_settings

        monkeypatch.setenv("TRACE_DATABASE_URL", pg_url)
        monkeypatch.setenv("TRACE_DATA_DIR", str(tmp_path))
        get_settings.cache_clear()
        try:
            out = CliRunner().invoke(app, ["verify", "--json"])
        finally:
            get_settings.cache_clear()
        assert out.exit_code == 0, out.output
    finally:
        engine.dispose()
