"""Scenario generators: deterministic, valid identifiers, valid EPCIS events."""

from __future__ import annotations

import dataclasses
import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from devices.ids import parse_scan
from devices.simulators import DEFAULT_END, build_scenario
from devices.simulators.equipment import MAINTENANCE_DAYS
from traceability.events import event_hash, validate_event
from traceability.identifiers import (
    parse_epc_urn,
    validate_cn_equipment_code,
    validate_gln,
    validate_gtin,
    validate_sscc,
    validate_uscc,
)
from traceability.registry.models import CreditStatus


def _dump(name: str, seed: int) -> str:
    s = build_scenario(name, seed=seed)
    return json.dumps(
        {
            "batches": [dataclasses.asdict(b) for b in s.batches],
            "world": [
                m.model_dump(mode="json")
                for m in (*s.world.parties, *s.world.locations, *s.world.products, *s.world.lots)
            ],
            "keys": [d.key.public_key.hex() for d in s.world.devices],
        },
        default=str,
        sort_keys=True,
    )


@pytest.mark.parametrize("name", ["produce", "drug", "equipment"])
def test_same_seed_same_scenario_other_seed_other_events(name: str) -> None:
    assert _dump(name, 3) == _dump(name, 3)
    assert _dump(name, 3) != _dump(name, 4)


def test_all_identifiers_have_valid_check_characters() -> None:
    s = build_scenario("all", seed=11)
    for p in s.world.parties:
        assert p.uscc is not None and validate_uscc(p.uscc).code == p.uscc
        assert p.gln is not None and validate_gln(p.gln)
    for loc in s.world.locations:
        assert loc.gln is not None and validate_gln(loc.gln)
        assert loc.sgln is not None and parse_epc_urn(loc.sgln).scheme == "sgln"
    for prod in s.world.products:
        assert validate_gtin(prod.gtin) == prod.gtin
    for batch in s.batches:
        for ev in batch.events:
            ids = [*ev.get("epcList", []), *ev.get("childEPCs", []), *ev.get("inputEPCList", [])]
            ids += [ev["parentID"]] if "parentID" in ev else []
            for urn in ids:
                parsed = parse_epc_urn(urn)
                for ai, value in parsed.elements:
                    if ai == "00":
                        validate_sscc(value)
                    elif ai == "01":
                        validate_gtin(value)
    party_glns = {p.gln for p in s.world.parties}
    site_sglns = {loc.sgln for loc in s.world.locations}
    shipments = [e for b in s.batches for e in b.events if "sourceList" in e]
    assert {e["bizStep"] for e in shipments} == {"shipping", "receiving"}
    for ev in shipments:
        ends = [
            *((x["type"], x["source"]) for x in ev["sourceList"]),
            *((x["type"], x["destination"]) for x in ev["destinationList"]),
        ]
        for kind, urn in ends:
            parsed = parse_epc_urn(urn)  # owning parties are pgln URNs, sites sgln
            if kind == "owning_party":
                assert parsed.scheme == "pgln" and dict(parsed.elements)["417"] in party_glns
            else:
                assert urn in site_sglns
    assert sum(p.credit_status == CreditStatus.serious_violation for p in s.world.parties) == 1
    assert {p.id for p in s.world.parties} and all(
        loc.city == "重庆市" for loc in s.world.locations
    )


def test_every_event_validates_and_hashes_uniquely() -> None:
    s = build_scenario("all", seed=5)
    hashes = set()
    for i, batch in enumerate(s.batches):
        assert batch.events
        for ev in batch.events:
            assert validate_event(ev, index=i) == []
            hashes.add(event_hash(ev))
    assert len(hashes) == s.event_count
    device_ids = {d.id for d in s.world.devices}
    assert {b.device_id for b in s.batches} <= device_ids


def test_events_lie_within_the_span_before_end() -> None:
    end = datetime(2030, 1, 1, tzinfo=UTC)
    for name, span in (("produce", 4), ("drug", 10), ("equipment", 400)):
        s = build_scenario(name, seed=1, end=end)
        times = [datetime.fromisoformat(e["eventTime"]) for b in s.batches for e in b.events]
        assert min(times) >= end - timedelta(days=span) and max(times) <= end
    assert build_scenario("drug", seed=1).batches[-1].at <= DEFAULT_END


def test_produce_assigns_the_tlc_once_at_packing_and_keeps_it() -> None:
    s = build_scenario("produce", seed=2)
    lgtin = s.facts["lgtin"]
    assigning = [
        e for b in s.batches for e in b.events if "ilmd" in e and "cbvmda:lotNumber" in e["ilmd"]
    ]
    assert len(assigning) == 1 and assigning[0]["type"] == "TransformationEvent"
    assert assigning[0]["outputQuantityList"][0]["epcClass"] == lgtin
    assert s.facts["tlc"] in lgtin
    temps = [
        r["value"]
        for b in s.batches
        for e in b.events
        for se in e.get("sensorElementList", [])
        for r in se["sensorReport"]
        if r["type"] == "gs1:Temperature"
    ]
    assert len(temps) >= 10 and max(temps) > 8  # one excursion on the cold chain
    assert [lot.lot for lot in s.world.lots] == [s.facts["tlc"]]
    for e in (e for b in s.batches for e in b.events):
        assert validate_event(e, rules=("epcis", "fsma204")) == []


def test_drug_datamatrix_packs_dispensing_and_the_second_dispense() -> None:
    s = build_scenario("drug", seed=9)
    for code, pack in zip(s.facts["datamatrix"], s.facts["packs"], strict=True):
        scan = parse_scan("]d2" + code)
        assert scan.epc == pack and len(scan.ais["21"]) <= 20
        assert scan.ais["10"] == s.facts["lot"]
    dispenses = [b for b in s.batches if b.events[0].get("bizStep") == "dispensing"]
    assert dispenses and all(b.reply for b in dispenses)
    assert [b.events[0]["epcList"][0] for b in dispenses].count(s.facts["dispensed_twice"]) == 2


def test_equipment_codes_maintenance_interval_and_one_overdue_unit() -> None:
    end = DEFAULT_END
    s = build_scenario("equipment", seed=4, end=end)
    for code in s.facts["equipment_codes"]:
        assert len(code) == 18 and validate_cn_equipment_code(code, today=end.date()).variety
    overdue = []
    for unit in s.facts["units"]:
        times = sorted(
            b.at
            for b in s.batches
            if b.device_id == "lift-maint-01" and b.events[0]["epcList"] == [unit]
        )
        gaps = [(b - a).total_seconds() / 86400 for a, b in itertools.pairwise(times)]
        assert times and max(gaps) <= MAINTENANCE_DAYS
        if (end - times[-1]).days > MAINTENANCE_DAYS:
            overdue.append(unit)
        inspections = [
            b
            for b in s.batches
            if b.device_id == "se-inspector-01" and b.events[0]["epcList"] == [unit]
        ]
        assert len(inspections) == 2  # acceptance + the yearly periodic inspection
    assert overdue == [s.facts["overdue"]]
