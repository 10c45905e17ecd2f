"""A NaN or infinite number has no canonical form: the event hash refuses it (naming the
member) instead of hashing it as the text ``nan`` / ``inf``, and documents holding the JSON
constants ``NaN`` / ``Infinity`` / ``-Infinity`` (not RFC 8259) are not read at all."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.events import event_hash
from traceability.events.documents import load_json
from traceability.events.errors import DocumentError
from traceability.events.hashing import PROFILES, prehash_string
from traceability.strict_json import NonFiniteNumberError

BASE: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2025-06-01T08:00:00.000Z",
    "eventTimeZoneOffset": "+08:00",
    "epcList": ["urn:epc:id:sgtin:0614141.812345.6789"],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "readPoint": {"id": "urn:epc:id:sgln:0614141.00001.0"},
}
QTY = "urn:epc:class:lgtin:0614141.812345.L1"
NONFINITE = (math.nan, math.inf, -math.inf)


def placed(value: float) -> list[tuple[dict[str, Any], str]]:
    """(event, path of the value): the fast path's fields and the generic walk's."""
    return [
        (
            {**BASE, "quantityList": [{"epcClass": QTY, "quantity": value}]},
            "quantityList[0].quantity",
        ),
        ({**BASE, "action": value}, "action"),
        ({**BASE, "example:x": value}, "example:x"),
        ({**BASE, "ilmd": {"example:lot": {"n": [1, value]}}}, "ilmd.example:lot.n[1]"),
        (
            {
                **BASE,
                "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": value}]}],
            },
            "sensorElementList[0].sensorReport[0].value",
        ),
        (
            {**BASE, "readPoint": {"id": "urn:epc:id:sgln:0614141.00001.0", "#text": value}},
            "readPoint.#text",
        ),
    ]


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("value", NONFINITE)
def test_event_hash_refuses_a_nonfinite_number(value: float, profile: str) -> None:
    for ev, path in placed(value):
        with pytest.raises(NonFiniteNumberError) as info:
            event_hash(ev, profile=profile)
        assert info.value.field == path, ev
        assert info.value.value == str(value)


def test_the_text_nan_still_hashes_as_text() -> None:
    ev = {**BASE, "quantityList": [{"epcClass": QTY, "quantity": "NaN"}]}
    assert "quantity=NaN" in prehash_string(ev)
    assert event_hash({**BASE, "example:x": 1.5}).startswith("ni:///sha-256;")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_finite_floats_still_hash(value: float) -> None:
    assert event_hash({**BASE, "quantityList": [{"epcClass": QTY, "quantity": value}]})


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_documents_with_json_constants_are_not_read(constant: str) -> None:
    text = '{"epcisBody": {"eventList": [{"type": "ObjectEvent", "q": ' + constant + "}]}}"
    with pytest.raises(DocumentError) as info:
        load_json(text)
    assert info.value.code == "malformed"
    assert info.value.field == "epcisBody.eventList[0].q"
    assert info.value.value == constant
    with pytest.raises(DocumentError):
        load_json(text.encode())
