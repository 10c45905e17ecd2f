"""Hypothesis: no payload or topic makes the decode path crash or accept a forgery.

A crash inside decode is caught and dead-lettered (``internal``, or ``malformed`` for a stray
ValueError/TypeError) with ``log.exception``; so besides the reason, every example checks that
the catch-all never ran. Generated envelopes are re-signed with the device's key (whenever
RFC 8785 can canonicalise them), so the fuzz reaches past the signature check into the
``sent_at``, reader and event validation paths.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from gateway.decode import Accepted, Refused
from gateway.errors import REASONS
from tests.support.decoding import Registry, decoder, envelope, event
from traceability.signing import ed25519 as signing

REG = Registry()
REG.add("dev-1")
DEC = decoder(REG, max_payload=4096)
GOOD = json.loads(envelope(REG, "dev-1", 1))
GOOD_EVENT = event()


def now() -> datetime:
    """The receive time: the wall clock at the call (envelopes are signed with it too), so a
    test that runs minutes into a long session is not judged against its import time."""
    return datetime.now(UTC)


TOPIC = "trace/v1/dev-1/events"
# what an envelope that parses, belongs to the topic and verifies may still be refused for
EVENT_REASONS = frozenset(
    {
        "schema_invalid",
        "invalid_identifier",
        "clock_skew",
        "location_not_allowed",
        "unstorable_value",
    }
)
EVENT_MEMBERS = sorted(
    {
        *GOOD_EVENT,
        "parentID",
        "childEPCs",
        "inputEPCList",
        "outputEPCList",
        "quantityList",
        "ilmd",
        "bizTransactionList",
        "sourceList",
        "destinationList",
        "sensorElementList",
        "errorDeclaration",
        "eventID",
        "persistentDisposition",
        "bizLocation",
        "disposition",
        "certificationInfo",
        "recordTime",
        "@context",
    }
)

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=20,
)
# plausible values for event members: identifiers, times, CBV words, location objects
plausible = st.sampled_from(
    [
        "urn:epc:id:sgtin:0614141.812345.6789",
        "urn:epc:id:sgtin:0614141.812345.",
        "urn:epc:id:x",
        "https://id.gs1.org/01/09506000134352/21/abc?17=261231",
        "https://id.gs1.org/01/09506000134353/21/abc",
        "urn:epc:id:sscc:0614141.1234567890",
        "urn:epc:id:sgln:0614141.00001.0",
        "urn:epc:id:sgln:0614141.00002.0",
        "2026-01-01T00:00:00Z",
        "2999-01-01T00:00:00.000Z",
        "2026-13-01T00:00:00Z",
        "+08:00",
        "ADD",
        "OBSERVE",
        "DELETE",
        "commissioning",
        "dispensing",
        "urn:epcglobal:cbv:bizstep:x",
        "https://ref.gs1.org/cbv/BizStep-shipping",
        "active",
        "ObjectEvent",
        "AggregationEvent",
        "TransformationEvent",
        "",
        "\u0000",
    ]
)
member_values = (
    json_values
    | plausible
    | st.lists(plausible, max_size=3)
    | st.fixed_dictionaries({"id": plausible})
)


class _Crashes(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


CRASHES = _Crashes()
logging.getLogger("gateway.decode").addHandler(CRASHES)


def decode(payload: bytes, topic: str = TOPIC) -> Accepted | Refused:
    CRASHES.records.clear()
    out = DEC.decode(topic, payload, now())
    assert not CRASHES.records, (
        CRASHES.records[0].getMessage() + f" ({out.detail if isinstance(out, Refused) else ''})"
    )
    if currently_in_test_context():  # outcome statistics: --hypothesis-show-statistics
        note(out.reason if isinstance(out, Refused) else "accepted")
    if isinstance(out, Refused):
        assert out.reason in REASONS and out.reason != "internal", (out.reason, out.detail)
    else:
        assert out.envelope.device == "dev-1"
    return out


def signed(doc: dict[str, Any]) -> tuple[bytes, bool]:
    """``doc`` re-signed with dev-1's key (False: RFC 8785 cannot canonicalise it)."""
    _kid, seed = REG.seeds["dev-1"]
    body = {k: v for k, v in doc.items() if k != "sig"}
    try:
        message = signing.canonical(body)
    except ValueError:  # non-finite float, integer beyond 2^53: sent with the old signature
        return json.dumps(doc).encode(), False
    body["sig"] = signing.b64url(signing.sign(seed=seed, message=message))
    return json.dumps(body).encode(), True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=6000), st.text(max_size=40))
def test_any_bytes_any_topic(payload: bytes, topic: str) -> None:
    decode(payload, topic)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(GOOD)), json_values)
def test_any_member_value_unsigned(member: str, value: object) -> None:
    doc = dict(GOOD)
    doc[member] = value
    out = decode(json.dumps(doc).encode())
    if value != GOOD[member]:
        assert isinstance(out, Refused)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(set(GOOD) - {"sig"})), member_values)
def test_any_member_value_resigned(member: str, value: object) -> None:
    doc = dict(GOOD)
    doc[member] = value
    decode(signed(doc)[0])


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_event_body(ev: object) -> None:
    doc = dict(GOOD)
    doc["events"] = [ev]
    payload, ok = signed(doc)
    out = decode(payload)
    if ok and isinstance(ev, dict) and isinstance(out, Refused):
        assert out.reason in EVENT_REASONS, (out.reason, out.detail)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(EVENT_MEMBERS), member_values, max_size=4),
    st.sets(st.sampled_from(sorted(GOOD_EVENT)), max_size=3),
)
def test_any_event_member(changes: dict[str, object], dropped: set[str]) -> None:
    ev = {k: v for k, v in GOOD_EVENT.items() if k not in dropped}
    ev.update(changes)
    doc = dict(GOOD)
    doc["events"] = [ev, GOOD_EVENT]
    payload, ok = signed(doc)
    out = decode(payload)
    if ok and isinstance(out, Refused):
        assert out.reason in EVENT_REASONS, (out.reason, out.detail)
    if not changes and not dropped:
        assert isinstance(out, Accepted)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=255))
def test_byte_flips_never_verify_differently(pos: int, xor: int) -> None:
    raw = bytearray(json.dumps(GOOD).encode())
    raw[pos % len(raw)] ^= xor
    out = decode(bytes(raw))
    if isinstance(out, Accepted):  # only a flip that leaves the signed content equal
        assert out.envelope.unsigned() == {k: v for k, v in GOOD.items() if k != "sig"}


def test_resigned_good_envelope_is_accepted() -> None:
    payload, ok = signed(dict(GOOD))
    assert ok and isinstance(decode(payload), Accepted)


def test_unhashable_event_type_is_schema_invalid() -> None:
    for etype in (["ObjectEvent"], {"a": 1}):
        doc = dict(GOOD)
        doc["events"] = [{**GOOD_EVENT, "type": etype}]
        out = decode(signed(doc)[0])
        assert isinstance(out, Refused) and out.reason == "schema_invalid"
        assert out.field == "events[0].type"


def test_non_finite_number_is_malformed_not_a_crash() -> None:
    doc = dict(GOOD)
    doc["events"] = [{**GOOD_EVENT, "x": float("nan")}]
    out = decode(json.dumps(doc).encode())
    assert isinstance(out, Refused) and out.reason == "malformed"
