"""The event hash's fast path gives exactly the generic tree walk's pre-hash string."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.vectors import EXAMPLES_DIR, HASH_DIR, TAMPERED_DIR, load
from traceability.events import document_events
from traceability.events.hash.canon import normalise_timestamp
from traceability.events.hash.fast import ORDER, fast_prehash
from traceability.events.hash.tree import ctx_for
from traceability.events.hashing import PROP_ORDER, prehash_string, tree_prehash

DOCS = sorted(EXAMPLES_DIR.glob("*.jsonld")) + sorted(HASH_DIR.glob("*.jsonld"))
DOCS += sorted(p for p in TAMPERED_DIR.glob("*.json") if p.stem != "expected")


def _both(event: Any, context: Any = None) -> tuple[str | None, str]:
    ctx = ctx_for(event, context, ())
    fast = fast_prehash(event, ctx)
    slow = tree_prehash(copy.deepcopy(event), ctx)
    return fast, slow


def test_order_is_prop_order() -> None:
    assert tuple(name for name, _ in PROP_ORDER) == ORDER


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_corpus(path: Path) -> None:
    doc = load(path)
    for event in document_events(doc):
        fast, slow = _both(event, doc.get("@context"))
        assert fast is None or fast == slow


def test_fast_path_covers_the_usual_events() -> None:
    events = [e for p in DOCS for e in document_events(load(p))]
    covered = sum(fast_prehash(e, ctx_for(e, None, ())) is not None for e in events)
    assert covered >= len(events) // 3, (covered, len(events))


def test_ignore_fields_take_the_tree_walk() -> None:
    event = {"type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "action": "ADD"}
    assert fast_prehash(event, ctx_for(event, None, ["action"])) is None
    assert prehash_string(event, ignore_fields=["action"]) == (
        "eventType=ObjectEventeventTime=2026-01-01T00:00:00.000Z"
    )


def test_timestamp_out_of_range_is_kept() -> None:  # used to raise OverflowError
    assert normalise_timestamp("0001-01-01T00:00:00+01:00") == "0001-01-01T00:00:00+01:00"


TEXT = st.one_of(
    st.sampled_from(
        [
            "", " ", "shipping", " shipping ", "cbv:BizStep-receiving", "in_transit",
            "urn:epcglobal:cbv:disp:in_transit", "https://ref.gs1.org/cbv/Disp-active", "bogus",
            "urn:epc:id:sgtin:0614141.107346.2017", " urn:epc:id:sgtin:0614141.107346.2017",
            "urn:epc:id:sscc:0614141.1234567890", "urn:epc:id:sgln:0614141.07346.0",
            "urn:epc:class:lgtin:4012345.012345.Lot1", "urn:epc:idpat:sgtin:4012345.012345.*",
            "https://id.gs1.org/01/09521234543213/21/A!1", "https://example.com/gtin/9521234543213",
            "2026-11-27T08:00:00.123456+08:00", "2026-11-27T08:00:00Z", "2026-02-30T00:00:00Z",
            "+08:00", "-05:30", "ADD", "OBSERVE", "26.0", "1e3", "KGM", "po", "cbv:BTT-inv",
            "urn:epcglobal:cbv:btt:po", "owning_party", "urn:epcglobal:cbv:bt:0614141073467:1",
            "gs1:Temperature", "example:x", "http://x.example/p",
        ]
    ),
    st.text(max_size=5),
)  # fmt: skip
SCALAR = st.one_of(TEXT, st.none(), st.booleans(), st.integers(-5, 5), st.floats(0, 100))
ODD = st.one_of(SCALAR, st.lists(SCALAR, max_size=2), st.dictionaries(TEXT, SCALAR, max_size=2))
QTY = st.dictionaries(st.sampled_from(["epcClass", "quantity", "uom", "bogus"]), ODD, max_size=3)


def _pairs(value_key: str) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["type", value_key, "source", "x:y"])
    return st.lists(st.one_of(st.dictionaries(keys, SCALAR, max_size=2), SCALAR), max_size=3)


FIELDS: dict[str, st.SearchStrategy[Any]] = {
    **{k: st.one_of(SCALAR, ODD) for k in ("eventTime", "eventTimeZoneOffset", "action")},
    **{k: SCALAR for k in ("bizStep", "disposition", "parentID", "certificationInfo")},
    "transformationID": SCALAR,
    **{
        k: st.one_of(st.lists(SCALAR, max_size=3), ODD)
        for k in ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
    },
    **{
        k: st.one_of(st.lists(QTY, max_size=3), ODD)
        for k in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
    },
    **{
        k: st.one_of(st.dictionaries(st.sampled_from(["id", "#text", "x:y"]), ODD), ODD)
        for k in ("readPoint", "bizLocation")
    },
    "bizTransactionList": _pairs("bizTransaction"),
    "sourceList": _pairs("source"),
    "destinationList": _pairs("destination"),
    **{k: ODD for k in ("eventID", "recordTime", "errorDeclaration", "comment", "#text")},
    "example:ext": ODD,
}
EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(["ObjectEvent", "AggregationEvent", "TransformationEvent"])},
    optional=FIELDS,
)


@settings(max_examples=1500, deadline=None)
@given(EVENTS)
def test_generated_events(event: dict[str, Any]) -> None:
    fast, slow = _both(event)
    if fast is not None:
        assert fast == slow


def _usual_pairs(value_key: str) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["type", value_key])
    return st.lists(st.dictionaries(keys, SCALAR, max_size=2), max_size=3)


USUAL: dict[str, st.SearchStrategy[Any]] = {
    **{k: SCALAR for k in ("eventTime", "eventTimeZoneOffset", "action", "bizStep")},
    **{k: SCALAR for k in ("disposition", "parentID", "certificationInfo", "transformationID")},
    **{
        k: st.lists(SCALAR, max_size=3)
        for k in ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
    },
    **{
        k: st.lists(
            st.dictionaries(st.sampled_from(["epcClass", "quantity", "uom"]), SCALAR, min_size=1),
            max_size=3,
        )
        for k in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
    },
    **{k: st.dictionaries(st.just("id"), SCALAR) for k in ("readPoint", "bizLocation")},
    "bizTransactionList": _usual_pairs("bizTransaction"),
    "sourceList": _usual_pairs("source"),
    "destinationList": _usual_pairs("destination"),
    **{k: ODD for k in ("eventID", "recordTime", "errorDeclaration", "comment", "@context")},
}
USUAL_EVENTS = st.fixed_dictionaries({"type": TEXT}, optional=USUAL)


@settings(max_examples=1500, deadline=None)
@given(USUAL_EVENTS)
def test_generated_usual_events(event: dict[str, Any]) -> None:
    fast, slow = _both(event)
    assert fast == slow
