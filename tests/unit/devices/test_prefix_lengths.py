"""Issue 12 item 17 (prefix lengths): one source of GS1 Company Prefix lengths. Every EPC the
simulators emit reads back through the identifier core (``tracectl id check``) to the same
GS1 key and serial and the same company prefix; devices use the same table by default."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from devices.config import DeviceConfig
from devices.events import event_from_scan
from devices.ids import parse_scan
from devices.simulators import build_scenario
from devices.simulators.world import Company
from traceability.identifiers import check
from traceability.identifiers.gs1 import company_prefix_length

WHEN = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _urns(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith(("urn:epc:id:", "urn:epc:class:")):
            yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _urns(v)
    elif isinstance(value, list):
        for v in value:
            yield from _urns(v)


@pytest.mark.parametrize("name", ["produce", "drug", "equipment"])
def test_every_simulated_epc_round_trips_through_id_check(name: str) -> None:
    scenario = build_scenario(name, seed=3)
    urns = {u for b in scenario.batches for e in b.events for u in _urns(e)}
    urns |= {loc.sgln for loc in scenario.world.locations if loc.sgln}
    assert len(urns) > 5
    for urn in sorted(urns):
        direct = check(urn)
        assert direct.valid, (urn, direct.errors)
        element_string = direct.normalized["element_string"]
        back = check(element_string)  # what a scanner reading the label gets from `id check`
        assert back.valid, (element_string, back.errors)
        assert back.normalized["epc_urn"] == urn, (element_string, urn)
        prefix = direct.parts["company_prefix"]
        assert len(prefix) == company_prefix_length(prefix.ljust(13, "0")), urn


def test_the_demo_item_from_the_issue_agrees() -> None:
    item = "(01)06937101000018(21)30901"
    scan = parse_scan(item)
    assert scan.epc == check(item).normalized["epc_urn"] == "urn:epc:id:sgtin:69371010.00001.30901"
    event = event_from_scan(DeviceConfig(device_id="d1"), data=item, when=WHEN)
    assert event["epcList"] == [scan.epc]


def test_a_registered_prefix_length_overrides_the_table() -> None:
    """The documented override: a party's registered GS1 Company Prefix length, set on its
    devices, wins over the table for that party's items."""
    item = "(01)06937101000018(21)30901"
    assert parse_scan(item, cp_len=7).epc == "urn:epc:id:sgtin:6937101.000001.30901"
    config = DeviceConfig(device_id="d1", company_prefix_len=7)
    assert event_from_scan(config, data=item, when=WHEN)["epcList"] == [
        "urn:epc:id:sgtin:6937101.000001.30901"
    ]
    with pytest.raises(ValueError):
        DeviceConfig(device_id="d1", company_prefix_len=5)


def test_simulated_companies_must_agree_with_the_table() -> None:
    with pytest.raises(ValueError, match="prefix table gives 8"):
        Company("6937101")  # in GS1 China's 8-digit range
    assert Company("69371010").gtin(1) == "06937101000018"
    with pytest.raises(ValueError, match="does not fit"):
        Company("69371010").sscc(10**8)
