"""The generated (fastjsonschema) event validators accept exactly what jsonschema accepts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.vectors import EXAMPLES_DIR, HASH_DIR, TAMPERED_DIR, load
from traceability.events import _schema, document_events, validate_event
from traceability.events._schema import EVENT_TYPES, FastReject, fast_validator
from traceability.events.validation import _event_validator


def _events(paths: list[Path]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in paths:
        out += [e for e in document_events(load(path)) if isinstance(e, dict)]
    return out


EXAMPLE_EVENTS = _events(sorted(EXAMPLES_DIR.glob("*.jsonld")))
TAMPERED_EVENTS = _events(sorted(p for p in TAMPERED_DIR.glob("*.json") if p.stem != "expected"))
HASH_EVENTS = _events(sorted(HASH_DIR.glob("*.jsonld")))
POOL = [e for e in EXAMPLE_EVENTS + TAMPERED_EVENTS + HASH_EVENTS if e.get("type") in EVENT_TYPES]


def _fast_ok(event: Any) -> bool:
    try:
        fast_validator(event["type"])(event)
    except FastReject:
        return False
    return True


def _slow_ok(event: Any) -> bool:
    return bool(_event_validator(event["type"]).is_valid(event))


def _agree(event: Any) -> None:
    before = copy.deepcopy(event)
    assert _fast_ok(event) == _slow_ok(event), json.dumps(event, default=repr)[:2000]
    assert event == before  # no defaults written into the event


def test_corpus_sizes() -> None:
    assert len(EXAMPLE_EVENTS) >= 46 and len(TAMPERED_EVENTS) >= 20
    invalid = [e for e in POOL if not _slow_ok(e)]
    assert invalid, "the corpus should contain schema-invalid events too"


@pytest.mark.parametrize("event", EXAMPLE_EVENTS + TAMPERED_EVENTS + HASH_EVENTS)
def test_corpus_events_agree(event: dict[str, Any]) -> None:
    if event.get("type") in EVENT_TYPES:
        _agree(event)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("eventTimeZoneOffset", "+08:00\n"),  # ECMA-262 '$': no trailing newline
        ("eventTime", "2026-11-27T08:00:00.000+08:00\n"),
        ("eventTime", "2026-11-27 08:00:00Z"),
        ("eventTime", "2026-13-27T08:00:00Z"),
        ("epcList", ("urn:epc:id:sgtin:0614141.107346.1",)),  # a tuple is not a JSON array
        ("action", "OBSERVE\n"),
        ("readPoint", {"id": "not a uri"}),  # format: uri is not asserted (by either)
        ("bizStep", "https://ns.gs1.org/cbv/BizStep-nonsense"),
        ("bizStep", "urn:epcglobal:cbv:bizstep:nonsense"),
        ("quantityList", [{"epcClass": "urn:epc:class:lgtin:4012345.012345.L1", "quantity": 2.0}]),
        ("quantityList", [{"epcClass": "urn:epc:class:lgtin:4012345.012345.L1", "uom": "KG\n"}]),
        ("example:ext", {"a": [1, 2]}),
        ("bogus", 1),
    ],
)
def test_edge_cases_agree(field: str, value: Any) -> None:
    event = {
        "type": "ObjectEvent",
        "eventTime": "2026-11-27T08:00:00.000+08:00",
        "eventTimeZoneOffset": "+08:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.1"],
        "action": "OBSERVE",
    }
    event[field] = value
    _agree(event)


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(
        [
            "",
            "ADD",
            "OBSERVE",
            "DELETE",
            "ADD\n",
            "shipping",
            "in_transit",
            "cbv:BizStep-shipping",
            "urn:epcglobal:cbv:bizstep:shipping",
            "urn:epcglobal:cbv:bizstep:bogus",
            "https://ns.gs1.org/cbv/Disp-x",
            "https://gs1.org/voc/Temperature",
            "https://www.gs1.org/voc/bogus",
            "2026-11-27T08:00:00.000+08:00",
            "2026-11-27T08:00:00Z\n",
            "2026-02-30T08:00:00Z",
            "+08:00",
            "-14:30",
            "+08:00\n",
            "KGM",
            "kgm",
            "CEL",
            "A1b2",
            "2.0",
            "urn:epc:id:sgtin:0614141.107346.2017",
            "https://id.gs1.org/01/09521234543213/21/1",
            "example:thing",
            "not a uri",
        ]
    ),
    st.text(max_size=6),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["id", "type", "epcClass", "quantity", "uom", "value", "x:y", "z"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)
KEYS = st.sampled_from(
    [
        "type", "eventTime", "eventTimeZoneOffset", "action", "bizStep", "disposition",
        "epcList", "childEPCs", "parentID", "quantityList", "readPoint", "bizLocation",
        "bizTransactionList", "sourceList", "destinationList", "sensorElementList", "ilmd",
        "persistentDisposition", "certificationInfo", "errorDeclaration", "eventID",
        "inputEPCList", "outputEPCList", "transformationID", "example:ext", "bogus", "@context",
    ]
)  # fmt: skip


def _mutate(event: dict[str, Any], data: st.DataObject) -> None:
    node: Any = event
    while True:  # walk down to a random container
        keys = list(range(len(node))) if isinstance(node, list) else list(node)
        inner = [k for k in keys if isinstance(node[k], (dict, list)) and node[k]]
        if not inner or data.draw(st.booleans()):
            break
        node = node[data.draw(st.sampled_from(inner))]
    op = data.draw(st.sampled_from(["delete", "replace", "add", "type"]))
    if isinstance(node, list):
        if node and op == "delete":
            del node[data.draw(st.integers(0, len(node) - 1))]
        elif node and op == "replace":
            node[data.draw(st.integers(0, len(node) - 1))] = data.draw(JSON_VALUES)
        else:
            node.append(data.draw(JSON_VALUES))
        return
    if op == "type":
        event["type"] = data.draw(st.sampled_from(EVENT_TYPES))
    elif op == "delete" and node:
        del node[data.draw(st.sampled_from(sorted(node)))]
    elif op == "replace" and node:
        node[data.draw(st.sampled_from(sorted(node)))] = data.draw(JSON_VALUES)
    else:
        key = data.draw(KEYS) if node is event else data.draw(st.sampled_from(["id", "x:y", "uom"]))
        node[key] = data.draw(JSON_VALUES)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutations_agree(data: st.DataObject) -> None:
    event = copy.deepcopy(data.draw(st.sampled_from(POOL)))
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(event, data)
    if event.get("type") in EVENT_TYPES:
        _agree(event)


def test_rejection_still_names_the_problem() -> None:
    event = copy.deepcopy(next(e for e in POOL if e["type"] == "ObjectEvent" and _slow_ok(e)))
    event["eventTimeZoneOffset"] = "+25:00"
    issues = [i for i in validate_event(event, index=3) if i.code == "schema"]
    assert issues and issues[0].event == 3 and issues[0].path == "eventTimeZoneOffset"


def test_generated_code_cached_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUYUAN_CACHE_DIR", str(tmp_path))
    fast_validator.cache_clear()
    try:
        first = fast_validator("AssociationEvent")
        (cached,) = tmp_path.glob("epcis-AssociationEvent-*.marshal")
        fast_validator.cache_clear()
        monkeypatch.setattr(_schema, "_generate", lambda _: pytest.fail("not from the cache"))
        second = fast_validator("AssociationEvent")
        assert first is not second and cached.exists()
        cached.write_bytes(b"garbage")  # a broken cache file is regenerated, not trusted
        fast_validator.cache_clear()
        monkeypatch.undo()
        monkeypatch.setenv("SUYUAN_CACHE_DIR", str(tmp_path))
        assert fast_validator("AssociationEvent") is not None
    finally:
        fast_validator.cache_clear()


def test_fast_rejection_is_never_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    def reject(_: Any) -> None:
        raise FastReject("data.epcList[0] must be string")

    event = next(e for e in POOL if e["type"] == "ObjectEvent" and _slow_ok(e))
    monkeypatch.setattr("traceability.events.validation.fast_validator", lambda _: reject)
    issues = [i for i in validate_event(event) if i.code == "schema"]
    assert [i.message for i in issues] == ["schema violation: epcList[0] must be string"]
