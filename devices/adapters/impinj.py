"""Impinj R700 IoT device interface: ``tagInventory`` events (single, array, or NDJSON stream).

A tag event looks like::

    {"timestamp": "2024-03-01T08:00:00.123456789Z", "hostname": "impinj-13-2b-4c",
     "eventType": "tagInventory",
     "tagInventoryEvent": {"epc": "MHQlezb3GU5AAAAahQ==", "epcHex": "3074257BF7194E4000001A85",
                           "antennaPort": 1, "antennaName": "1", "peakRssiCdbm": -5100,
                           "frequency": 920625, "transmitPowerCdbm": 3000,
                           "lastSeenTime": "2024-03-01T08:00:00.120000000Z"}}

``peakRssiCdbm`` is in centi-dBm; ``epcHex`` may be absent (then ``epc`` is base64). Other event
types (``inventoryStatus``, ``diagnostic``, keep-alives) carry no reads and are skipped.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from devices.adapters.common import ReaderPayloadError, TagRead, iter_json, parse_time


def parse_impinj(payload: bytes | str | dict[str, Any] | list[Any]) -> list[TagRead]:
    reads: list[TagRead] = []
    for n, doc in enumerate(iter_json(payload)):
        if doc.get("eventType") != "tagInventory":
            continue
        tag = doc.get("tagInventoryEvent")
        if not isinstance(tag, dict):
            raise ReaderPayloadError(
                f"event {n}: tagInventoryEvent missing", field="tagInventoryEvent", value=n
            )
        epc_hex = tag.get("epcHex")
        if not epc_hex and isinstance(tag.get("epc"), str):
            try:
                epc_hex = base64.b64decode(tag["epc"], validate=True).hex()
            except (binascii.Error, ValueError):
                raise ReaderPayloadError(
                    f"event {n}: epc is not base64", field="epc", value=tag["epc"]
                ) from None
        if not isinstance(epc_hex, str) or not epc_hex:
            raise ReaderPayloadError(f"event {n}: no epcHex/epc", field="epcHex", value=n)
        rssi = tag.get("peakRssiCdbm")
        antenna = tag.get("antennaPort")
        reads.append(
            TagRead(
                epc_hex=epc_hex.upper(),
                antenna=int(antenna)
                if isinstance(antenna, (int, str)) and str(antenna).isdigit()
                else None,
                seen_at=parse_time(
                    tag.get("lastSeenTime") or doc.get("timestamp"), field="timestamp"
                ),
                rssi_dbm=rssi / 100 if isinstance(rssi, (int, float)) else None,
                reader=doc.get("hostname") if isinstance(doc.get("hostname"), str) else None,
            )
        )
    return reads
