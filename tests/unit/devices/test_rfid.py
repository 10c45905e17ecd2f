"""Reader parsers with realistic payloads, the collapse window, antenna -> read point."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from devices.config import DeviceConfig
from devices.events import event_from_rfid, event_from_scan
from devices.rfid import RfidEventBuilder
from traceability.events import validate_event
from traceability.readers import Collapser, TagRead, parse_impinj, parse_zebra
from traceability.readers import ReaderError as ReaderPayloadError
from traceability.readers.parsing import parse_time

EPC_A = "3074257BF7194E4000001A85"  # urn:epc:id:sgtin:0614141.812345.6789
EPC_B = "3074257BF7194E4000001A86"
T0 = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)

IMPINJ_STREAM = (
    "\n".join(
        json.dumps(x)
        for x in [
            {
                "timestamp": "2026-03-01T08:00:00.123456789Z",
                "hostname": "impinj-13-2b-4c",
                "eventType": "tagInventory",
                "tagInventoryEvent": {
                    "epc": "MHQle/cZTkAAABqF",
                    "epcHex": EPC_A,
                    "antennaPort": 1,
                    "antennaName": "dock-in",
                    "peakRssiCdbm": -5100,
                    "frequency": 920625,
                    "transmitPowerCdbm": 3000,
                },
            },
            {
                "timestamp": "2026-03-01T08:00:00.500000000Z",
                "hostname": "impinj-13-2b-4c",
                "eventType": "inventoryStatus",
                "inventoryStatusEvent": {"status": "running"},
            },
            {
                "timestamp": "2026-03-01T08:00:00.900000000Z",
                "hostname": "impinj-13-2b-4c",
                "eventType": "tagInventory",
                "tagInventoryEvent": {
                    "epc": "MHQle/cZTkAAABqF",
                    "antennaPort": 1,
                    "antennaName": "dock-in",
                    "peakRssiCdbm": -4420,
                },
            },
            {
                "timestamp": "2026-03-01T08:00:01.200000000Z",
                "hostname": "impinj-13-2b-4c",
                "eventType": "tagInventory",
                "tagInventoryEvent": {
                    "epcHex": EPC_B,
                    "antennaPort": 2,
                    "antennaName": "dock-out",
                    "peakRssiCdbm": -6230,
                },
            },
        ]
    )
    + "\n"
)

ZEBRA_ARRAY = json.dumps(
    [
        {
            "data": {
                "eventNum": 1121,
                "format": "epc",
                "idHex": EPC_A.lower(),
                "antenna": 1,
                "peakRssi": -55,
                "reads": 3,
                "channel": 922.75,
            },
            "timestamp": "2026-03-01T16:00:00.000+0800",
            "type": "SIMPLE",
        },
        {
            "data": {
                "eventNum": 1122,
                "format": "epc",
                "idHex": EPC_A,
                "antenna": 1,
                "peakRssi": -49,
                "reads": 2,
            },
            "timestamp": "2026-03-01T16:00:01.500+0800",
            "type": "SIMPLE",
        },
        {
            "data": {
                "eventNum": 1123,
                "format": "epc",
                "idHex": EPC_A,
                "antenna": 1,
                "peakRssi": -60,
                "reads": 1,
            },
            "timestamp": "2026-03-01T16:00:04.000+0800",
            "type": "SIMPLE",
        },
        {"type": "heartbeat", "timestamp": "2026-03-01T16:00:05.000+0800", "data": {"cpu": 12}},
    ]
)

CONFIG = DeviceConfig(
    device_id="dc-dock-01",
    read_point="urn:epc:id:sgln:0614141.00001.0",
    biz_location="urn:epc:id:sgln:0614141.00001.0",
    biz_step="receiving",
    disposition="in_progress",
    antenna_read_points={
        1: "urn:epc:id:sgln:0614141.00001.1",
        2: "urn:epc:id:sgln:0614141.00001.2",
    },
    collapse_window_s=2.0,
)


def test_impinj_ndjson_stream() -> None:
    reads = parse_impinj(IMPINJ_STREAM.encode())
    assert [r.epc_hex for r in reads] == [EPC_A, EPC_A, EPC_B]  # status event skipped
    assert reads[1].epc_hex == EPC_A  # base64 ``epc`` when epcHex is absent
    assert reads[0].rssi_dbm == -51.0 and reads[1].rssi_dbm == -44.2
    assert reads[0].seen_at == datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    assert reads[0].antenna == 1 and reads[2].antenna == 2
    assert reads[0].reader == "impinj-13-2b-4c"


def test_impinj_single_object_and_missing_epc() -> None:
    one = json.loads(IMPINJ_STREAM.splitlines()[0])
    assert len(parse_impinj(one)) == 1
    with pytest.raises(ReaderPayloadError):
        parse_impinj(
            {
                "eventType": "tagInventory",
                "timestamp": "2026-03-01T08:00:00Z",
                "tagInventoryEvent": {"antennaPort": 1},
            }
        )


def test_zebra_array_with_offsets_and_counts() -> None:
    reads = parse_zebra(ZEBRA_ARRAY)
    assert len(reads) == 3  # heartbeat skipped
    assert reads[0].epc_hex == EPC_A and reads[0].seen_at == T0
    assert reads[0].count == 3 and reads[0].rssi_dbm == -55.0


def test_collapse_window_keeps_first_last_count_and_best_rssi() -> None:
    collapser = Collapser(window_s=2.0)
    assert collapser.feed(parse_zebra(ZEBRA_ARRAY)) != []
    # read 3 (t0+4 s) is outside the first window: the first observation closed when it came
    rest = collapser.flush()
    first = Collapser(window_s=2.0).feed(parse_zebra(ZEBRA_ARRAY))[0]
    assert first.first_seen == T0 and first.last_seen == T0 + timedelta(seconds=1.5)
    assert first.read_count == 5 and first.best_rssi_dbm == -49.0
    assert (
        len(rest) == 1
        and rest[0].read_count == 1
        and rest[0].first_seen == T0 + timedelta(seconds=4)
    )


def test_collapse_is_per_tag_and_antenna() -> None:
    collapser = Collapser(window_s=2.0)
    reads = [
        TagRead(EPC_A, 1, T0),
        TagRead(EPC_A, 2, T0 + timedelta(seconds=0.5)),
        TagRead(EPC_B, 1, T0 + timedelta(seconds=1)),
        TagRead(EPC_A, 1, T0 + timedelta(seconds=1.9)),
    ]
    assert collapser.feed(reads) == []
    assert len(collapser) == 3
    assert collapser.flush(T0 + timedelta(seconds=1.99)) == []
    closed = collapser.flush(T0 + timedelta(seconds=2.6))
    assert [(o.epc_hex, o.antenna, o.read_count) for o in closed] == [(EPC_A, 1, 2), (EPC_A, 2, 1)]
    assert [o.epc_hex for o in collapser.flush()] == [EPC_B]


def test_builder_maps_antennas_to_read_points_and_events_validate() -> None:
    builder = RfidEventBuilder(CONFIG)
    events = builder.feed(parse_impinj(IMPINJ_STREAM)) + builder.flush()
    assert len(events) == 2
    by_rp = {e["readPoint"]["id"]: e for e in events}
    assert by_rp["urn:epc:id:sgln:0614141.00001.1"]["epcList"] == [
        "urn:epc:id:sgtin:0614141.812345.6789"
    ]
    assert by_rp["urn:epc:id:sgln:0614141.00001.2"]["epcList"] == [
        "urn:epc:id:sgtin:0614141.812345.6790"
    ]
    first = by_rp["urn:epc:id:sgln:0614141.00001.1"]
    assert first["eventTime"] == "2026-03-01T08:00:00.123Z"
    assert first["bizStep"] == "receiving" and first["action"] == "OBSERVE"
    for i, ev in enumerate(events):
        assert validate_event(ev, index=i) == []


def test_single_read_and_scan_events_carry_the_device_configuration() -> None:
    by_antenna = event_from_rfid(CONFIG, epc_hexes=[EPC_A, EPC_B], when=T0, antenna=2)
    unmapped = event_from_rfid(CONFIG, epc_hexes=[EPC_A], when=T0, antenna=9)
    scan = event_from_scan(CONFIG, data="(01)80614141123458(10)L1", when=T0)
    assert by_antenna["readPoint"]["id"] == "urn:epc:id:sgln:0614141.00001.2"
    assert by_antenna["epcList"] == [
        "urn:epc:id:sgtin:0614141.812345.6789",
        "urn:epc:id:sgtin:0614141.812345.6790",
    ]
    assert unmapped["readPoint"]["id"] == scan["readPoint"]["id"] == CONFIG.read_point
    assert scan["epcList"] == [] and scan["quantityList"] == [
        {"epcClass": "urn:epc:class:lgtin:0614141.812345.L1", "quantity": 1}
    ]
    for i, ev in enumerate((by_antenna, unmapped, scan)):
        assert (ev["bizStep"], ev["disposition"], ev["action"]) == (
            "receiving",
            "in_progress",
            "OBSERVE",
        )
        assert ev["bizLocation"]["id"] == CONFIG.biz_location
        assert validate_event(ev, index=i) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T08:00:00Z", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("2026-03-01T16:00:00.5+0800", datetime(2026, 3, 1, 8, 0, 0, 500000, tzinfo=UTC)),
        ("2026-03-01T08:00:00.123456789+00:00", datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)),
        (1772352000000, datetime(2026, 3, 1, 8, tzinfo=UTC)),
    ],
)
def test_reader_timestamps(text: str | int, expected: datetime) -> None:
    assert parse_time(text, field="timestamp") == expected
