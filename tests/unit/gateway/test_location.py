"""Issue 12 item 4: the bound-location check compares parsed GLN + extension, never substrings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.decode import Refused
from tests.support.decoding import Registry, decoder, envelope, event


def now() -> datetime:
    """The receive time: the wall clock at the call (envelopes are signed with it too), so a
    test that runs minutes into a long session is not judged against its import time."""
    return datetime.now(UTC)


ORCHARD = "6937101000018"  # cp 6937101, location ref 00001
PHARMACY = "6937101999992"
TOPIC = "trace/v1/{}/events"


def reason(out: object) -> str:
    return out.reason if isinstance(out, Refused) else "accepted"


@pytest.fixture
def reg() -> Registry:
    r = Registry()
    r.add("orchard", sgln=None, gln=ORCHARD)  # registered by GLN only
    r.add("dock", sgln="urn:epc:id:sgln:6937101.00001.dock-3")  # one sub-location
    r.add("nowhere", sgln=None, gln=None)
    return r


def _send(reg: Registry, device: str, read_point: str, seq: int = 1) -> str:
    env = envelope(reg, device, seq, [event(read_point=read_point)])
    return reason(decoder(reg).decode(TOPIC.format(device), env, now()))


@pytest.mark.parametrize(
    "read_point",
    [
        f"https://id.gs1.org/414/{PHARMACY}?x=/414/{ORCHARD}",  # the smuggled GLN in the query
        f"https://id.gs1.org/414/{PHARMACY}#/414/{ORCHARD}",
        f"https://id.gs1.org/414/{PHARMACY}/254/a?x=/414/{ORCHARD}/",
        f"geo:29.5,106.5;/414/{ORCHARD}",
        "urn:epc:id:sgln:6937101.99999.0",
    ],
)
def test_pharmacy_read_point_is_refused_for_an_orchard_device(
    reg: Registry, read_point: str
) -> None:
    assert _send(reg, "orchard", read_point) == "location_not_allowed"


@pytest.mark.parametrize(
    "read_point",
    [
        f"https://id.gs1.org/414/{ORCHARD}",
        f"https://example.com/414/{ORCHARD}?linkType=gs1:locationInfo",
        "urn:epc:id:sgln:6937101.00001.0",  # the device's own GLN written as an SGLN URN
        "urn:epc:id:sgln:6937101.00001.shed-2",  # a sub-location of a site bound by GLN
        f"https://id.gs1.org/414/{ORCHARD}/254/shed-2",
    ],
)
def test_own_gln_in_every_spelling_is_accepted(reg: Registry, read_point: str) -> None:
    assert _send(reg, "orchard", read_point) == "accepted"


def test_a_device_bound_to_an_extension_records_only_that_extension(reg: Registry) -> None:
    assert _send(reg, "dock", "urn:epc:id:sgln:6937101.00001.dock-3") == "accepted"
    assert _send(reg, "dock", f"https://id.gs1.org/414/{ORCHARD}/254/dock-3", 2) == "accepted"
    assert _send(reg, "dock", "urn:epc:id:sgln:6937101.00001.dock-4", 3) == "location_not_allowed"
    assert _send(reg, "dock", f"https://id.gs1.org/414/{ORCHARD}", 4) == "location_not_allowed"


def test_a_device_at_a_location_without_identifiers_records_nothing(reg: Registry) -> None:
    env = envelope(reg, "nowhere", 1, [event(read_point=f"https://id.gs1.org/414/{PHARMACY}")])
    out = decoder(reg).decode(TOPIC.format("nowhere"), env, now())
    assert isinstance(out, Refused)
    assert out.reason == "location_not_allowed"
    assert "no valid GLN or SGLN" in out.detail
