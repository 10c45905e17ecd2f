"""Zebra FX IoT Connector (ZIOTC) tag data events (single object or a JSON array).

A tag data event looks like::

    {"data": {"eventNum": 1123, "format": "epc", "idHex": "3074257BF7194E4000001A85",
              "antenna": 2, "peakRssi": -51, "reads": 3, "channel": 922.75},
     "timestamp": "2024-03-01T08:00:00.123+0800", "type": "SIMPLE"}

``peakRssi`` is in dBm; ``reads`` (the SEEN_COUNT meta-data) is how many inventories saw the tag
since the previous report. Events without ``data.idHex`` (heartbeats, GPI) are skipped.
"""

from __future__ import annotations

from typing import Any

from devices.adapters.common import TagRead, iter_json, parse_time


def parse_zebra(
    payload: bytes | str | dict[str, Any] | list[Any], *, reader: str | None = None
) -> list[TagRead]:
    reads: list[TagRead] = []
    for doc in iter_json(payload):
        data = doc.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("idHex"), str):
            continue
        if data.get("format", "epc") not in ("epc", "EPC"):
            continue  # TID-only / user-memory reports carry no EPC
        antenna = data.get("antenna")
        rssi = data.get("peakRssi")
        count = data.get("reads")
        reads.append(
            TagRead(
                epc_hex=data["idHex"].upper(),
                antenna=antenna if isinstance(antenna, int) else None,
                seen_at=parse_time(doc.get("timestamp"), field="timestamp"),
                rssi_dbm=float(rssi) if isinstance(rssi, (int, float)) else None,
                count=count if isinstance(count, int) and count > 0 else 1,
                reader=reader
                or (doc.get("hostname") if isinstance(doc.get("hostname"), str) else None),
            )
        )
    return reads
