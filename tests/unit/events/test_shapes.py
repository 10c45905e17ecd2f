"""The per-shape fast path (:mod:`traceability.events.shapes`) answers exactly what the reference
answers — ``validate_event(e, check_times=False)`` and ``event_hash(e)`` — on generated events
(many per shape, so that the cache is hit, with good and bad varying values), on the bad-input
corpus (the tampered documents) and on the GS1 examples and hash vectors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.vectors import EXAMPLES_DIR, HASH_DIR, TAMPERED_DIR, load
from tests.unit.events.test_hash_fastpath import EVENTS as ODD_EVENTS
from traceability.events import document_events, event_hash, validate_event
from traceability.events.errors import ValidationIssue
from traceability.events.shapes import ShapeCache

DOCS = sorted(EXAMPLES_DIR.glob("*.jsonld")) + sorted(HASH_DIR.glob("*.jsonld"))
DOCS += sorted(p for p in TAMPERED_DIR.glob("*.json") if p.stem != "expected")
CORPUS = [e for p in DOCS for e in document_events(load(p))]

SHARED = ShapeCache(max_shapes=64)  # across examples: hits, and starting over when full


def _reference(event: Any, index: int) -> tuple[list[ValidationIssue], str | None]:
    issues = validate_event(copy.deepcopy(event), index=index, check_times=False)
    if issues:
        return issues, None
    return [], event_hash(copy.deepcopy(event))


def _outcome(f: Any, *args: Any) -> Any:
    try:
        return f(*args)
    except Exception as exc:  # the same exception from both (a lone surrogate has no UTF-8)
        return ("raised", type(exc))


def _same(cache: ShapeCache, event: Any, index: int = 0) -> None:
    fast = _outcome(lambda: cache.check(event, index=index))
    assert fast == _outcome(_reference, event, index)


BAD_EPCS = st.sampled_from(
    [
        "urn:epc:id:sgtin:0614141.812345.1",
        "urn:epc:id:sgtin:0614141.812345.2",
        "urn:epc:id:sgtin:0614141.812345.ABC",
        " urn:epc:id:sgtin:0614141.812345.3",
        "urn:epc:id:sgtin:0614141.81234.1",  # wrong lengths
        "urn:epc:id:sscc:0614141.1234567890",
        "urn:epc:class:lgtin:4012345.012345.Lot1",
        "https://id.gs1.org/01/09521234543213/21/A1",
        "https://id.gs1.org/01/09521234543214/21/A1",  # wrong check digit
        "https://example.com/private/1",
        "cbv:BizStep-shipping",
        "abc",
        "",
        "urn:epc:id:sgtin:0614141.812345.\x00",
        "\ud800",
    ]
) | st.sampled_from([5, 1.0, True, None, {"id": "x"}, ["a"]])
GOOD_EPCS = st.integers(0, 10**6).map(lambda n: f"urn:epc:id:sgtin:0614141.812345.{n}")
EPCS = st.one_of(GOOD_EPCS, GOOD_EPCS, BAD_EPCS)
BAD_TIMES = st.sampled_from(
    [
        "2026-11-27T08:15:02.331+08:00",
        "2026-11-27T08:15:02Z",
        "2026-11-27t08:15:02.123456789z",
        "2026-02-30T00:00:00Z",
        "2026-11-27 08:15:02Z",
        "2026-11-27T08:15:02Z\n",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59Z",
        "",
    ]
) | st.sampled_from([5, None, 1.5, ["2026-11-27T08:15:02Z"]])
GOOD_TIMES = st.datetimes().map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f+08:00"))
TIMES = st.one_of(GOOD_TIMES, GOOD_TIMES, BAD_TIMES)
VARYING = st.fixed_dictionaries(
    {"eventTime": TIMES},
    optional={
        **{
            k: st.one_of(st.lists(EPCS, min_size=1, max_size=3), st.just([]))
            for k in ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
        },
    },
)
SGLN = "urn:epc:id:sgln:0614141.00777.0"
EPC0 = "urn:epc:id:sgtin:0614141.812345.0"
EPC_FIELD = {
    "ObjectEvent": "epcList",
    "TransactionEvent": "epcList",
    "AggregationEvent": "childEPCs",
    "AssociationEvent": "childEPCs",
    "TransformationEvent": "outputEPCList",
}
_BASES: tuple[dict[str, Any], ...] = (
    {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning"},
    {"type": "ObjectEvent", "action": "OBSERVE", "readPoint": {"id": SGLN}},
    {"type": "AggregationEvent", "action": "ADD", "parentID": "urn:epc:id:sscc:0614141.1"},
    {"type": "AggregationEvent", "action": "OBSERVE"},
    {
        "type": "AssociationEvent",
        "action": "ADD",
        "parentID": "urn:epc:id:grai:0614141.1.1",
    },
    {"type": "TransformationEvent", "transformationID": "urn:x:1"},
    {
        "type": "TransactionEvent",
        "action": "ADD",
        "bizTransactionList": [{"type": "po", "bizTransaction": "urn:x:po:1"}],
    },
    {"type": "ObjectEvent", "action": "ADD", "example:ext": {"a": 1}},  # tree-walk hash
)
BASES = st.sampled_from(
    [
        {"eventTimeZoneOffset": "+08:00", EPC_FIELD[str(base["type"])]: [EPC0], **base}
        for base in _BASES
    ]
)
FIXED = st.fixed_dictionaries(
    {},
    optional={
        "eventTimeZoneOffset": st.sampled_from(["+08:00", "-05:30", "+15:00", "8", 8]),
        "bizStep": st.sampled_from(["shipping", "cbv:BizStep-receiving", "bogus", "x:y", 1]),
        "disposition": st.sampled_from(["in_transit", "urn:epcglobal:cbv:disp:bogus", None]),
        "readPoint": st.sampled_from([{"id": SGLN}, {"id": "urn:epc:id:sgln:0614141.0077.0"}]),
        "ilmd": st.just({"example:lot": "L1"}),
        "@context": st.just([{"example": "https://example.com/"}]),
        "recordTime": TIMES,
    },
)


@settings(max_examples=600, deadline=None)
@given(BASES, FIXED, st.lists(VARYING, min_size=1, max_size=4))
def test_generated_streams(base: dict[str, Any], fixed: dict[str, Any], rows: Any) -> None:
    """Several events of one fixed part with good and bad varying values, one shared cache."""
    for i, varying in enumerate(rows):
        event = {**base, **fixed, **varying}
        _same(SHARED, event, i)


def test_generated_streams_hit_the_cache() -> None:
    """The generated streams above are not all answered by the reference."""
    before = SHARED.hits
    test_generated_streams()
    assert SHARED.hits - before > 30


@settings(max_examples=600, deadline=None)
@given(ODD_EVENTS, st.lists(VARYING, min_size=1, max_size=3))
def test_generated_odd_shapes(event: dict[str, Any], rows: Any) -> None:
    """The event-hash fast path's generator of odd shapes as the fixed part."""
    for i, varying in enumerate(rows):
        _same(SHARED, {**event, **varying}, i)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_corpus(path: Path) -> None:
    """Each corpus event, then events of its shape with other EPCs and times (cache hits)."""
    cache = ShapeCache()
    for index, event in enumerate(document_events(load(path))):
        _same(cache, event, index)
        for serial in ("7", "8"):
            other = copy.deepcopy(event)
            if isinstance(other, dict):
                if isinstance(other.get("epcList"), list) and other["epcList"]:
                    other["epcList"][0] = f"urn:epc:id:sgtin:0614141.812345.{serial}"
                if isinstance(other.get("eventTime"), str):
                    other["eventTime"] = f"2026-11-2{serial}T08:15:02.331+08:00"
            _same(cache, other, index)


def test_a_stream_hits_the_cache() -> None:
    """The point of it: one shape, many events, one reference check."""
    cache = ShapeCache()
    for i in range(200):
        event = {
            "type": "ObjectEvent",
            "eventTime": f"2026-11-27T08:{i // 60:02d}:{i % 60:02d}.000Z",
            "eventTimeZoneOffset": "+08:00",
            "epcList": [f"urn:epc:id:sgtin:0614141.812345.{i}"],
            "action": "ADD",
            "bizStep": "commissioning",
            "readPoint": {"id": SGLN},
        }
        _same(cache, event)
    assert (cache.hits, cache.misses) == (199, 1)


def test_a_bad_value_in_a_known_shape_takes_the_reference() -> None:
    cache = ShapeCache()
    good = {
        "type": "ObjectEvent",
        "eventTime": "2026-11-27T08:15:02Z",
        "epcList": ["urn:epc:id:sgtin:0614141.812345.1"],
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
    }
    _same(cache, good)
    _same(cache, {**good, "epcList": ["urn:epc:id:sgtin:0614141.812345.9"]})
    assert (cache.hits, cache.misses) == (1, 1)  # the shape is known
    for bad in (
        {**good, "epcList": ["https://id.gs1.org/01/09521234543214/21/A1"]},
        {**good, "eventTime": "2026-11-27 08:15:02Z"},
        {**good, "epcList": [7]},
    ):
        issues, digest = cache.check(bad)
        assert issues and digest is None
        _same(cache, bad)
    pair = {
        **good,
        "epcList": ["urn:epc:id:sgtin:0614141.812345.1", "urn:epc:id:sgtin:0614141.812345.2"],
    }
    _same(cache, pair)
    _same(cache, {**pair, "eventTime": "2026-11-27T09:15:02Z"})
    assert (cache.hits, cache.misses) == (2, 8)
    twice = {**pair, "epcList": ["urn:epc:id:sgtin:0614141.812345.1"] * 2}  # uniqueItems
    issues, digest = cache.check(twice)
    assert issues and digest is None
    _same(cache, twice)
    assert cache.hits == 2


def test_bounded() -> None:
    cache = ShapeCache(max_shapes=3)
    for step in ("shipping", "receiving", "packing", "loading", "picking"):
        _same(cache, {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": step,
                      "eventTime": "2026-11-27T08:15:02Z"})  # fmt: skip
        assert len(cache._shapes) <= 3
