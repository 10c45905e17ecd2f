"""The RFC 8785 bytes of a parsed record, as the audit re-serialises it (step 2).

Event records of every version (:data:`traceability.ledger.records.ITEM_KEYED`) are written
directly, as the append writes them; anything else goes the general way.
"""

from __future__ import annotations

from typing import Any

from traceability.ledger import records

_EVENT_KEYS = (
    "device",
    "envelope",
    "event_hash",
    "index",
    "items",
    "key",
    "kind",
    "pos",
    "recorded_at",
    "sig",
    "v",
)
_LINK_KEYS = ("item", "prev", "prev_hash")


def canonical_bytes(rec: dict[str, Any]) -> bytes:
    """The record's RFC 8785 bytes: written directly for the event shape, else the general way."""
    if (
        tuple(rec) == _EVENT_KEYS
        and rec["kind"] == records.EVENT_KIND
        and type(rec["v"]) is int
        and rec["v"] in records.ITEM_KEYED
    ):
        s, i, links = str, int, rec["items"]
        if (
            all(type(rec[k]) is s for k in ("device", "envelope", "event_hash", "key", "sig"))
            and type(rec["recorded_at"]) is s
            and type(rec["index"]) is i
            and type(rec["pos"]) is i
            and type(links) is list
            and all(
                type(lk) is dict
                and tuple(lk) == _LINK_KEYS
                and type(lk["item"]) is s
                and type(lk["prev"]) is i
                and type(lk["prev_hash"]) is s
                for lk in links
            )
            and abs(rec["index"]) < 2**53
            and abs(rec["pos"]) < 2**53
            and all(abs(lk["prev"]) < 2**53 for lk in links)
        ):
            return records.event_record_bytes(
                index=rec["index"],
                recorded_at=rec["recorded_at"],
                event_hash=rec["event_hash"],
                envelope_digest=rec["envelope"],
                device=rec["device"],
                key=rec["key"],
                sig=rec["sig"],
                pos=rec["pos"],
                items=[(lk["item"], lk["prev"], lk["prev_hash"]) for lk in links],
                v=rec["v"],
            )
    return records.record_bytes(rec)
