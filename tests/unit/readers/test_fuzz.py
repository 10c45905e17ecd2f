"""Hypothesis: no reader member makes the derivation raise anything but ReaderError, and what it
derives re-derives the same from the member's RFC 8785 bytes (what the audit parses)."""

from __future__ import annotations

import json
from typing import Any

import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.readers import EPC_A, EPC_B, config
from traceability.readers import ReaderError, check_reader, derive_events, derive_member_events

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(
        [EPC_A, EPC_B, "MHQle/cZTkAAABqF", "2026-03-01T08:00:00.123456789Z", "1", "SIMPLE", "epc"]
    )
)
values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=12,
)
TIMES = st.sampled_from(
    ["2026-03-01T08:00:00.123456789Z", "2026-03-01T16:00:01.5+0800", 1772352002000, 1772352003.5]
)


def plausible(*good: Any) -> st.SearchStrategy[Any]:
    """Mostly a good value, sometimes anything."""
    return st.sampled_from(good) | st.sampled_from(good) | values


impinj_tags = st.fixed_dictionaries(
    {"epcHex": plausible(EPC_A, EPC_B, EPC_A.lower()), "antennaPort": plausible(1, 2, "1", 1.0)},
    optional={"epc": plausible("MHQle/cZTkAAABqF"), "peakRssiCdbm": values, "lastSeenTime": TIMES},
)
impinj = st.fixed_dictionaries(
    {
        "eventType": plausible("tagInventory", "inventoryStatus"),
        "timestamp": TIMES | values,
        "tagInventoryEvent": impinj_tags | impinj_tags | values,
    },
    optional={"hostname": values},
)
zebra_data = st.fixed_dictionaries(
    {"idHex": plausible(EPC_A, EPC_B)},
    optional={"format": plausible("epc", "tid"), "antenna": plausible(1, 2), "reads": values},
)
zebra = st.fixed_dictionaries(
    {"type": plausible("SIMPLE", "heartbeat"), "timestamp": TIMES | values},
    optional={"data": zebra_data | zebra_data | values},
)


def _member(fmt: str, messages: list[Any]) -> dict[str, Any]:
    return {"format": fmt, "config": config(), "messages": messages}


def _check(member: dict[str, Any]) -> None:
    try:
        events = derive_member_events(member=member)
    except ReaderError as exc:
        assert exc.code == "reader_invalid" and exc.field and exc.field.startswith("reader")
        return
    try:
        stored = json.loads(rfc8785.dumps(member))
    except rfc8785.CanonicalizationError:
        raise AssertionError("derived from a member with no RFC 8785 form") from None
    assert derive_events(reader=check_reader(member=stored)) == events
    assert events and all(e["type"] == "ObjectEvent" and e["epcList"] for e in events)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(impinj | values, min_size=1, max_size=4))
def test_impinj_messages_never_crash(messages: list[Any]) -> None:
    _check(_member("impinj-iot/v1", messages))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(zebra | values, min_size=1, max_size=4))
def test_zebra_messages_never_crash(messages: list[Any]) -> None:
    _check(_member("zebra-iot/v1", messages))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["format", "config", "messages", "x"]), values))
def test_member_shapes_never_crash(member: dict[str, Any]) -> None:
    _check(member)
