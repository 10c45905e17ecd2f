"""Zebra FX IoT Connector (ZIOTC) tag data events (single object or a JSON array).

A tag data event looks like::

    {"data": {"eventNum": 1123, "format": "epc", "idHex": "3074257BF7194E4000001A85",
              "antenna": 2, "peakRssi": -51, "reads": 3, "channel": 922.75},
     "timestamp": "2024-03-01T08:00:00.123+0800", "type": "SIMPLE"}

``peakRssi`` is in dBm; ``reads`` (the SEEN_COUNT meta-data) is how many inventories saw the tag
since the previous report. A tag data event is one of ``type`` ``SIMPLE`` or one whose ``data``
has ``idHex``; other events (heartbeats, GPI) are skipped, and so are reports of another memory
bank (``data.format`` other than ``epc``). A tag data event without ``idHex`` is refused.
"""

from __future__ import annotations

from typing import Any

from traceability.readers.errors import ReaderError
from traceability.readers.models import TagRead
from traceability.readers.parsing import as_int, as_number, epc_urn, iter_json, parse_time

__all__ = ["parse_zebra"]


def parse_zebra(
    payload: bytes | str | dict[str, Any] | list[Any], *, reader: str | None = None
) -> list[TagRead]:
    """The tag reads of Zebra IoT Connector events; field names say ``messages[n]``."""
    reads: list[TagRead] = []
    for n, doc in enumerate(iter_json(payload)):
        data = doc.get("data")
        if not isinstance(data, dict) or (doc.get("type") != "SIMPLE" and "idHex" not in data):
            continue
        if data.get("format", "epc") not in ("epc", "EPC"):
            continue  # TID-only / user-memory reports carry no EPC
        at = f"messages[{n}].data"
        if "idHex" not in data:
            raise ReaderError(f"{at} has no idHex", field=f"{at}.idHex")
        epc_urn(data["idHex"], field=f"{at}.idHex")
        rssi = as_number(data.get("peakRssi"))
        count = as_int(data.get("reads"))
        host = doc.get("hostname")
        reads.append(
            TagRead(
                epc_hex=str(data["idHex"]).upper(),
                antenna=as_int(data.get("antenna")),
                seen_at=parse_time(doc.get("timestamp"), field=f"messages[{n}].timestamp"),
                rssi_dbm=float(rssi) if rssi is not None else None,
                count=count if count else 1,
                reader=reader or (host if isinstance(host, str) else None),
            )
        )
    return reads
