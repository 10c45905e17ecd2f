"""The reader part of the bad-input corpus (loaded by make_corpus.py): envelopes on
``trace/v1/{device}/reader`` carrying raw reader JSON, each with one defect named by its file.

``cases(envelope, edit)`` returns ``(file, topic, reason, payload)`` like ``make_corpus.bad()``;
``envelope(device, seq, events, *, reader=...)`` and ``edit`` are make_corpus's own.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

EPC_HEX = "3074257BF7194E4000001A85"  # urn:epc:id:sgtin:0614141.812345.6789
SGLN = "urn:epc:id:sgln:0614141.00001.0"  # dev-c's bound location
OTHER_SGLN = "urn:epc:id:sgln:0614141.00002.0"
WHEN = "2025-06-01T07:59:58.123456789Z"


def impinj(**tag: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"epcHex": EPC_HEX, "antennaPort": 1, "peakRssiCdbm": -5100}
    body.update(tag)
    return {
        "timestamp": WHEN,
        "hostname": "impinj-corpus",
        "eventType": "tagInventory",
        "tagInventoryEvent": {k: v for k, v in body.items() if v is not None},
    }


def reader(messages: list[dict[str, Any]], fmt: str = "impinj-iot/v1", **config: Any) -> Any:
    cfg: dict[str, Any] = {
        "action": "OBSERVE",
        "biz_step": "receiving",
        "read_point": SGLN,
        "antenna_read_points": {"1": "urn:epc:id:sgln:0614141.00001.1"},
        "window_ms": 2000,
        "timezone_offset": "+08:00",
    }
    cfg.update(config)
    return {"format": fmt, "config": cfg, "messages": messages}


def cases(
    envelope: Callable[..., bytes], edit: Callable[[bytes, Callable[[dict[str, Any]], None]], bytes]
) -> list[tuple[str, str, str, bytes]]:
    rt, et = "trace/v1/dev-c/reader", "trace/v1/dev-c/events"

    def env(seq: int, member: Any) -> bytes:
        return envelope("dev-c", seq, None, reader=member)

    good = reader([impinj()])
    zebra_no_id = {"data": {"format": "epc", "antenna": 1}, "timestamp": WHEN, "type": "SIMPLE"}
    both = env(611, good)
    event = {"type": "ObjectEvent", "eventTime": "2025-06-01T08:00:00.000Z"}
    return [
        ("reader-unknown-format.json", rt, "reader_invalid", env(600, reader([impinj()], "x/v9"))),
        (
            "reader-messages-not-a-list.json",
            rt,
            "reader_invalid",
            env(601, {**good, "messages": {}}),
        ),
        (
            "reader-config-bad-window.json",
            rt,
            "reader_invalid",
            env(602, reader([impinj()], window_ms=-1)),
        ),
        (
            "reader-config-unknown-member.json",
            rt,
            "reader_invalid",
            env(603, reader([impinj()], antenna=1)),
        ),
        (
            "reader-missing-epchex.json",
            rt,
            "reader_invalid",
            env(604, reader([impinj(epcHex=None)])),
        ),
        (
            "reader-bad-epc-hex.json",
            rt,
            "reader_invalid",
            env(605, reader([impinj(epcHex="30ZZ")])),
        ),
        (
            "reader-unknown-epc-header.json",
            rt,
            "reader_invalid",
            env(606, reader([impinj(epcHex="E2801160600002054A3E1234")])),
        ),
        (
            "reader-bad-timestamp.json",
            rt,
            "reader_invalid",
            env(607, reader([{**impinj(), "timestamp": "yesterday"}])),
        ),
        (
            "reader-zebra-missing-idhex.json",
            rt,
            "reader_invalid",
            env(608, reader([zebra_no_id], "zebra-iot/v1")),
        ),
        (
            "reader-no-tag-reads.json",
            rt,
            "reader_invalid",
            env(609, reader([{"eventType": "inventoryStatus", "timestamp": WHEN}])),
        ),
        ("reader-on-events-topic.json", et, "topic_mismatch", env(610, good)),
        ("events-on-reader-topic.json", rt, "topic_mismatch", envelope("dev-c", 612, [event])),
        ("reader-and-events.json", rt, "malformed", edit(both, lambda d: d.update(events=[event]))),
        (
            "reader-modified-after-signing.json",
            rt,
            "bad_signature",
            edit(env(613, good), lambda d: _set_epc(d, "3074257BF7194E4000001A86")),
        ),
        (
            "reader-location-not-bound.json",
            rt,
            "location_not_allowed",
            env(614, reader([impinj()], read_point=OTHER_SGLN, antenna_read_points={})),
        ),
    ]


def _set_epc(doc: dict[str, Any], epc_hex: str) -> None:
    messages = copy.deepcopy(doc["reader"]["messages"])
    messages[0]["tagInventoryEvent"]["epcHex"] = epc_hex
    doc["reader"]["messages"] = messages
