"""The derivation: vendor JSON -> reads -> collapse window -> ObjectEvents, and its errors."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.support.readers import (
    DOCK,
    DOCK_IN,
    DOCK_OUT,
    EPC_A,
    EPC_B,
    IMPINJ,
    URN_A,
    URN_B,
    ZEBRA,
    impinj_tag,
    member,
)
from traceability.events import validate_event
from traceability.readers import ReaderError, check_reader, derive_events, derive_member_events
from traceability.signing.ed25519 import canonical

VECTORS = Path(__file__).resolve().parent / "vectors"


@pytest.mark.parametrize("name", ["impinj-iot-v1", "zebra-iot-v1"])
def test_pinned_vectors(name: str) -> None:
    """Each format's output is pinned: a parser change that alters it fails here (make it a
    new format instead, so records already in the ledger still re-derive the same)."""
    doc = json.loads((VECTORS / f"{name}.json").read_text())
    assert doc["reader"]["format"] == name.replace("-v1", "/v1")
    assert derive_member_events(member=doc["reader"]) == doc["events"]
    for i, ev in enumerate(doc["events"]):
        assert validate_event(ev, index=i) == []


def test_impinj_collapses_per_tag_and_antenna_and_maps_read_points() -> None:
    events = derive_member_events(member=member("impinj-iot/v1", IMPINJ))
    assert [(e["eventTime"], e["readPoint"]["id"], e["epcList"]) for e in events] == [
        ("2026-03-01T08:00:00.123Z", DOCK_IN, [URN_A]),  # epcHex and base64 epc: one tag
        ("2026-03-01T08:00:01.200Z", DOCK_OUT, [URN_B]),
        ("2026-03-01T08:00:30.250Z", DOCK_IN, [URN_A]),  # lastSeenTime, a new window
    ]
    assert {(e["action"], e["bizStep"], e["disposition"]) for e in events} == {
        ("OBSERVE", "receiving", "in_progress")
    }
    assert {e["bizLocation"]["id"] for e in events} == {DOCK}
    assert {e["eventTimeZoneOffset"] for e in events} == {"+08:00"}


def test_zebra_offsets_window_and_skipped_reports() -> None:
    events = derive_member_events(member=member("zebra-iot/v1", ZEBRA))
    # A and B within 2 s at antenna 1 share an event; A again 4 s after the first read is a
    # new one; the heartbeat and the TID-bank report carry no EPC read
    assert [(e["eventTime"], e["epcList"]) for e in events] == [
        ("2026-03-01T08:00:00.000Z", [URN_A, URN_B]),
        ("2026-03-01T08:00:04.000Z", [URN_A]),
    ]


def test_window_and_unmapped_antenna_from_config() -> None:
    reads = [impinj_tag("2026-03-01T08:00:00Z"), impinj_tag("2026-03-01T08:00:03Z", antenna=7)]
    one = derive_member_events(member=member("impinj-iot/v1", reads, window_ms=5000))
    two = derive_member_events(member=member("impinj-iot/v1", reads, window_ms=1000))
    assert [e["readPoint"]["id"] for e in one] == [DOCK_IN, DOCK]  # antenna 7: the default
    assert len(two) == 2
    same_antenna = [impinj_tag("2026-03-01T08:00:00Z"), impinj_tag("2026-03-01T08:00:03Z")]
    assert len(derive_member_events(member=member("impinj-iot/v1", same_antenna))) == 2
    wide = member("impinj-iot/v1", same_antenna, window_ms=5000)
    assert len(derive_member_events(member=wide)) == 1


def test_message_order_does_not_matter_for_distinct_times() -> None:
    shuffled = list(IMPINJ)
    random.Random(7).shuffle(shuffled)
    assert shuffled != IMPINJ
    assert derive_member_events(member=member("impinj-iot/v1", shuffled)) == (
        derive_member_events(member=member("impinj-iot/v1", IMPINJ))
    )


def test_numbers_by_value_as_the_stored_bytes_carry_them() -> None:
    """``1.0`` and ``1`` are the same number in RFC 8785 bytes: same antenna, same events."""
    floats = [impinj_tag("2026-03-01T08:00:00Z", antenna=1.0), impinj_tag(1772352001000.0)]
    ints = [impinj_tag("2026-03-01T08:00:00Z", antenna=1), impinj_tag(1772352001000)]
    a = derive_member_events(member=member("impinj-iot/v1", floats))
    assert a == derive_member_events(member=member("impinj-iot/v1", ints))
    stored = json.loads(canonical(member("impinj-iot/v1", floats)))
    assert derive_events(reader=check_reader(member=stored)) == a
    assert a[0]["readPoint"]["id"] == DOCK_IN


CFG = "reader.config"


def bad_tag(**tag: Any) -> list[dict[str, Any]]:
    return [impinj_tag("2026-03-01T08:00:00Z"), impinj_tag("2026-03-01T08:00:01Z", **tag)]


IJ, ZB = "impinj-iot/v1", "zebra-iot/v1"
TAG = "reader.messages[1].tagInventoryEvent"
NO_EVENT = [{"eventType": "tagInventory", "timestamp": "2026-03-01T08:00:00Z"}]
NO_ID = [{"type": "SIMPLE", "timestamp": "2026-03-01T08:00:00Z", "data": {"antenna": 1}}]
NO_TIME = [{"type": "SIMPLE", "timestamp": None, "data": {"idHex": EPC_B}}]


@pytest.mark.parametrize(
    ("messages", "fmt", "field", "value"),
    [
        (bad_tag(epcHex=None), IJ, f"{TAG}.epcHex", None),
        (bad_tag(epcHex="30ZZ"), IJ, f"{TAG}.epcHex", "30ZZ"),
        (bad_tag(epcHex=None, epc="*"), IJ, f"{TAG}.epc", "*"),
        (bad_tag(epcHex=EPC_A[:-1]), IJ, f"{TAG}.epcHex", EPC_A[:-1]),
        (bad_tag(lastSeenTime="soon"), IJ, f"{TAG}.lastSeenTime", "soon"),
        (NO_EVENT, IJ, "reader.messages[0].tagInventoryEvent", None),
        ([impinj_tag("x")], IJ, "reader.messages[0].timestamp", "x"),
        (NO_ID, ZB, "reader.messages[0].data.idHex", None),
        (NO_TIME, ZB, "reader.messages[0].timestamp", None),
        ([{"type": "heartbeat", "data": {}}], ZB, "reader.messages", None),
    ],
)
def test_malformed_messages_name_field_and_value(
    messages: list[dict[str, Any]], fmt: str, field: str, value: Any
) -> None:
    with pytest.raises(ReaderError) as caught:
        derive_member_events(member=member(fmt, messages))
    assert caught.value.code == "reader_invalid"
    assert caught.value.field == field
    assert caught.value.value == value


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": "impinj-iot/v2"}, "reader.format"),
        ({"format": None}, "reader.format"),
        ({"messages": []}, "reader.messages"),
        ({"messages": {"a": 1}}, "reader.messages"),
        ({"messages": [1]}, "reader.messages[0]"),
        ({"config": []}, "reader.config"),
        ({"extra": 1}, "reader.extra"),
        ({"config": {"biz_step": "x", "window_ms": -1}}, "reader.config.window_ms"),
        ({"config": {"biz_step": "x", "window_ms": 1.5}}, "reader.config.window_ms"),
        ({"config": {"window_ms": 10}}, "reader.config.biz_step"),
        ({"config": {"biz_step": "x", "action": "MOVE"}}, "reader.config.action"),
        ({"config": {"biz_step": "x", "timezone_offset": "8"}}, "reader.config.timezone_offset"),
        (
            {"config": {"biz_step": "x", "antenna_read_points": {"01": DOCK}}},
            f"{CFG}.antenna_read_points",
        ),
        ({"config": {"biz_step": "x", "read_point": "dock 1"}}, "reader.config.read_point"),
        ({"config": {"biz_step": "x", "colour": "red"}}, "reader.config.colour"),
    ],
)
def test_bad_member_shape(change: dict[str, Any], field: str) -> None:
    doc = {**member("impinj-iot/v1", IMPINJ), **change}
    with pytest.raises(ReaderError) as caught:
        check_reader(member=doc)
    assert caught.value.field == field, caught.value.message
    assert caught.value.code == "reader_invalid"


def test_not_an_object() -> None:
    with pytest.raises(ReaderError) as caught:
        check_reader(member=[EPC_A])
    assert caught.value.field == "reader"
