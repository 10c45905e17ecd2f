"""Hypothesis: no payload or topic makes the decode path raise or accept a forgery."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.decode import Accepted, Refused
from gateway.errors import REASONS
from tests.unit.gateway.helpers import Registry, decoder, envelope

REG = Registry()
REG.add("dev-1")
DEC = decoder(REG, max_payload=4096)
GOOD = json.loads(envelope(REG, "dev-1", 1))
NOW = datetime.now(UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=20)


def check(out: Accepted | Refused) -> None:
    if isinstance(out, Refused):
        assert out.reason in REASONS, out.reason
    else:
        assert out.envelope.device == "dev-1"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=6000), st.text(max_size=40))
def test_any_bytes_any_topic(payload: bytes, topic: str) -> None:
    check(DEC.decode(topic, payload, NOW))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(GOOD)), json_values)
def test_any_member_value(member: str, value: object) -> None:
    doc = dict(GOOD)
    doc[member] = value
    out = DEC.decode("trace/v1/dev-1/events", json.dumps(doc).encode(), NOW)
    check(out)
    if value != GOOD[member]:
        assert isinstance(out, Refused)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_event_body(ev: object) -> None:
    doc = dict(GOOD)
    doc["events"] = [ev]
    check(DEC.decode("trace/v1/dev-1/events", json.dumps(doc).encode(), NOW))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=255))
def test_byte_flips_never_verify_differently(pos: int, xor: int) -> None:
    raw = bytearray(json.dumps(GOOD).encode())
    raw[pos % len(raw)] ^= xor
    out = DEC.decode("trace/v1/dev-1/events", bytes(raw), NOW)
    check(out)
    if isinstance(out, Accepted):  # only a flip that leaves the signed content equal
        assert out.envelope.unsigned() == {k: v for k, v in GOOD.items() if k != "sig"}
