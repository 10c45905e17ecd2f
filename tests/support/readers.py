"""Vendor JSON as readers send it (Impinj R700 IoT device interface, Zebra FX IoT Connector)."""

from __future__ import annotations

from typing import Any

EPC_A = "3074257BF7194E4000001A85"  # urn:epc:id:sgtin:0614141.812345.6789
EPC_B = "3074257BF7194E4000001A86"  # urn:epc:id:sgtin:0614141.812345.6790
URN_A = "urn:epc:id:sgtin:0614141.812345.6789"
URN_B = "urn:epc:id:sgtin:0614141.812345.6790"
DOCK = "urn:epc:id:sgln:0614141.00001.0"
DOCK_IN = "urn:epc:id:sgln:0614141.00001.1"
DOCK_OUT = "urn:epc:id:sgln:0614141.00001.2"


def impinj_tag(when: str, antenna: Any = 1, **tag: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"epcHex": EPC_A, "antennaPort": antenna, "peakRssiCdbm": -5100}
    body.update(tag)
    return {
        "timestamp": when,
        "hostname": "impinj-13-2b-4c",
        "eventType": "tagInventory",
        "tagInventoryEvent": {k: v for k, v in body.items() if v is not None},
    }


IMPINJ = [
    impinj_tag("2026-03-01T08:00:00.123456789Z", antennaName="dock-in", frequency=920625),
    {
        "timestamp": "2026-03-01T08:00:00.500000000Z",
        "hostname": "impinj-13-2b-4c",
        "eventType": "inventoryStatus",
        "inventoryStatusEvent": {"status": "running"},
    },
    impinj_tag("2026-03-01T08:00:00.900000000Z", epcHex=None, epc="MHQle/cZTkAAABqF"),
    impinj_tag("2026-03-01T08:00:01.200000000Z", antenna=2, epcHex=EPC_B, peakRssiCdbm=-6230),
    # lastSeenTime wins over the event timestamp; 30 s later: a new event at the same antenna
    impinj_tag("2026-03-01T08:00:31.000000000Z", lastSeenTime="2026-03-01T08:00:30.250000000Z"),
]

ZEBRA = [
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
        "data": {"eventNum": 1122, "format": "epc", "idHex": EPC_B, "antenna": 1, "reads": 2},
        "timestamp": "2026-03-01T16:00:01.500+0800",
        "type": "SIMPLE",
    },
    {"type": "heartbeat", "timestamp": "2026-03-01T16:00:02.000+0800", "data": {"cpu": 12}},
    {
        "data": {"eventNum": 1123, "format": "tid", "idHex": "E2801160600002054A3E1234"},
        "timestamp": "2026-03-01T16:00:02.500+0800",
        "type": "SIMPLE",
    },
    {
        "data": {"eventNum": 1124, "format": "epc", "idHex": EPC_A, "antenna": 1, "reads": 1},
        "timestamp": "2026-03-01T16:00:04.000+0800",
        "type": "SIMPLE",
    },
]


def config(**extra: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "action": "OBSERVE",
        "biz_step": "receiving",
        "disposition": "in_progress",
        "read_point": DOCK,
        "biz_location": DOCK,
        "antenna_read_points": {"1": DOCK_IN, "2": DOCK_OUT},
        "window_ms": 2000,
        "timezone_offset": "+08:00",
    }
    cfg.update(extra)
    return cfg


def member(fmt: str, messages: list[dict[str, Any]], **cfg: Any) -> dict[str, Any]:
    return {"format": fmt, "config": config(**cfg), "messages": messages}
