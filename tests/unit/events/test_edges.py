"""The single-pass edge derivation agrees with the naive reference on every event.

The ``trace_edge`` and ``ledger_item`` rows are audited against these functions, so a change in
what they return would turn stored rows into audit failures: hypothesis generates EPCIS-shaped
events (wrong types and empty values included) and compares.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.events import reference_edges as ref
from traceability.events import edges

_EPC = st.sampled_from(["urn:epc:id:sgtin:1.2.3", "urn:epc:id:sgtin:1.2.4", "urn:epc:id:sscc:1.9"])
_CLASS = st.sampled_from(["urn:epc:class:lgtin:1.2.L1", "urn:epc:class:lgtin:1.2.L2"])
# one branch (sampled_from), so that one_of(valid, _JUNK) is half valid: hypothesis flattens
# nested one_of into equally likely branches
_JUNK = st.sampled_from([None, 7, True, "", {}, []])
_EPCS = st.one_of(st.lists(st.one_of(_EPC, _JUNK), max_size=4), _JUNK)
_QUANTITIES = st.one_of(
    st.lists(
        st.one_of(st.fixed_dictionaries({"epcClass": st.one_of(_CLASS, _JUNK)}), _JUNK, _CLASS),
        max_size=3,
    ),
    _JUNK,
)
_PLACE = st.one_of(
    st.fixed_dictionaries(
        {"id": st.sampled_from(["urn:epc:id:sgln:1.2.0", "urn:epc:id:sgln:1.2.1", "", None])}
    ),
    _JUNK,
)
_PARTIES = st.one_of(
    st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {
                    "type": st.one_of(
                        st.sampled_from(["owning_party", "location", "possessing_party", "x"]),
                        _JUNK,
                    ),
                    "source": st.one_of(st.sampled_from(["urn:a", "urn:b", ""]), _JUNK),
                    "destination": st.one_of(st.sampled_from(["urn:c", "urn:d"]), _JUNK),
                }
            ),
            _JUNK,
        ),
        max_size=3,
    ),
    _JUNK,
)
_OPTIONAL = {
    "epcList": _EPCS,
    "quantityList": _QUANTITIES,
    "childEPCs": _EPCS,
    "childQuantityList": _QUANTITIES,
    "inputEPCList": _EPCS,
    "inputQuantityList": _QUANTITIES,
    "outputEPCList": _EPCS,
    "outputQuantityList": _QUANTITIES,
    "parentID": st.one_of(_EPC, _JUNK),
    "action": st.one_of(st.sampled_from(["ADD", "OBSERVE", "DELETE"]), _JUNK),
    "sourceList": _PARTIES,
    "destinationList": _PARTIES,
    "bizLocation": _PLACE,
    "readPoint": _PLACE,
}
_TYPES = st.sampled_from(
    [
        "ObjectEvent",
        "AggregationEvent",
        "AssociationEvent",
        "TransformationEvent",
        "TransactionEvent",
    ]
)


@st.composite
def epcis_events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {"type": draw(st.one_of(_TYPES, _JUNK))}
    for key in sorted(_OPTIONAL):
        if draw(st.integers(0, 3)):  # present three times in four
            event[key] = draw(_OPTIONAL[key])
    return event


@settings(max_examples=3000, deadline=None)
@given(epcis_events())
def test_derive_agrees_with_the_reference(event: dict[str, Any]) -> None:
    items, parts = edges.derive(event)
    assert items == ref.items_of(event)
    assert parts == [(e.kind, e.src, e.dst, e.item) for e in ref.derive_edges(event)]
    assert edges.items_of(event) == items
    assert edges.derive_edges(event) == ref.derive_edges(event)


def test_an_aggregation_with_everything() -> None:
    """One hand-checked case, so the comparison above is not two copies of one mistake."""
    event = {
        "type": "AggregationEvent",
        "action": "ADD",
        "parentID": "urn:epc:id:sscc:1.9",
        "childEPCs": ["urn:epc:id:sgtin:1.2.4", "urn:epc:id:sgtin:1.2.3"],
        "sourceList": [{"type": "owning_party", "source": "urn:a"}],
        "destinationList": [{"type": "owning_party", "destination": "urn:c"}],
        "readPoint": {"id": "urn:epc:id:sgln:1.2.0"},
    }
    items, parts = edges.derive(event)
    kids = ["urn:epc:id:sgtin:1.2.3", "urn:epc:id:sgtin:1.2.4"]
    every = [*kids, "urn:epc:id:sscc:1.9"]
    assert items == every
    assert parts == [
        *[("contains", "urn:epc:id:sscc:1.9", k, k) for k in kids],
        *[("custody", "urn:a", "urn:c", i) for i in every],
        *[("observed", i, "urn:epc:id:sgln:1.2.0", i) for i in every],
    ]
