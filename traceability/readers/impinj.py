"""Impinj R700 IoT device interface: ``tagInventory`` events (single, array, or NDJSON stream).

A tag event looks like::

    {"timestamp": "2024-03-01T08:00:00.123456789Z", "hostname": "impinj-13-2b-4c",
     "eventType": "tagInventory",
     "tagInventoryEvent": {"epc": "MHQlezb3GU5AAAAahQ==", "epcHex": "3074257BF7194E4000001A85",
                           "antennaPort": 1, "antennaName": "1", "peakRssiCdbm": -5100,
                           "frequency": 920625, "transmitPowerCdbm": 3000,
                           "lastSeenTime": "2024-03-01T08:00:00.120000000Z"}}

``peakRssiCdbm`` is in centi-dBm; ``epcHex`` may be absent (then ``epc`` is base64). Other event
types (``inventoryStatus``, ``diagnostic``, keep-alives) carry no reads and are skipped. The read
time is ``lastSeenTime`` when present, else the event's ``timestamp``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from traceability.readers.errors import ReaderError
from traceability.readers.models import TagRead
from traceability.readers.parsing import as_int, as_number, epc_urn, iter_json, parse_time

__all__ = ["parse_impinj"]


def parse_impinj(payload: bytes | str | dict[str, Any] | list[Any]) -> list[TagRead]:
    """The tag reads of Impinj IoT device interface events; field names say ``messages[n]``."""
    reads: list[TagRead] = []
    for n, doc in enumerate(iter_json(payload)):
        if doc.get("eventType") != "tagInventory":
            continue
        at = f"messages[{n}].tagInventoryEvent"
        tag = doc.get("tagInventoryEvent")
        if not isinstance(tag, dict):
            raise ReaderError(f"{at} is missing", field=at, value=tag)
        epc_hex = tag.get("epcHex")
        field = f"{at}.epcHex"
        if epc_hex is None and "epc" in tag:
            field = f"{at}.epc"
            try:
                epc_hex = base64.b64decode(str(tag["epc"]), validate=True).hex()
            except (binascii.Error, ValueError):
                raise ReaderError(
                    f"{field} is not base64: {tag['epc']!r}", field=field, value=tag["epc"]
                ) from None
        if epc_hex is None:
            raise ReaderError(f"{at} has neither epcHex nor epc", field=f"{at}.epcHex")
        epc_urn(epc_hex, field=field)  # refuse what no event could carry, naming the message
        rssi = as_number(tag.get("peakRssiCdbm"))
        host = doc.get("hostname")
        if tag.get("lastSeenTime") is not None:
            seen_at = parse_time(tag["lastSeenTime"], field=f"{at}.lastSeenTime")
        else:
            seen_at = parse_time(doc.get("timestamp"), field=f"messages[{n}].timestamp")
        reads.append(
            TagRead(
                epc_hex=str(epc_hex).upper(),
                antenna=as_int(tag.get("antennaPort")),
                seen_at=seen_at,
                rssi_dbm=rssi / 100 if rssi is not None else None,
                reader=host if isinstance(host, str) else None,
            )
        )
    return reads
