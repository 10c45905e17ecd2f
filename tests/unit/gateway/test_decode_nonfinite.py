"""Nothing forged: ``null`` changed to ``NaN`` / ``Infinity`` / ``-Infinity`` after signing.

Python's json module reads those constants (RFC 8259 has none) and orjson writes a non-finite
float back as ``null``, so the fast signing bytes of such a forgery used to equal the signed
ones and the envelope was accepted holding NaN. It is a ``malformed`` dead letter naming the
member and the constant.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.decode import Accepted, Refused, fast_signing_bytes, verify_envelope
from tests.support.decoding import Registry, decoder, envelope, event
from traceability.signing.envelope import Envelope
from traceability.strict_json import NonFiniteNumberError


def now() -> datetime:
    """The receive time: the wall clock at the call (envelopes are signed with it too), so a
    test that runs minutes into a long session is not judged against its import time."""
    return datetime.now(UTC)


TOPIC = "trace/v1/dev-1/events"
CONSTANTS = ("NaN", "Infinity", "-Infinity")
REG = Registry()
REG.add("dev-1")


def note(value: Any, name: str = "example:note") -> dict[str, Any]:
    ev = event()
    ev[name] = value
    return ev


@pytest.mark.parametrize("constant", CONSTANTS)
def test_null_replaced_after_signing_is_malformed(constant: str) -> None:
    signed = envelope(REG, "dev-1", 1, [note(None)])
    assert isinstance(decoder(REG).decode(TOPIC, signed, now()), Accepted)  # the original is fine
    assert signed.count(b"null") == 1
    forged = signed.replace(b"null", constant.encode())
    out = decoder(REG).decode(TOPIC, forged, now())
    assert isinstance(out, Refused), f"forged envelope accepted: {out}"
    assert out.reason == "malformed"
    assert out.field == "events[0].example:note"
    assert constant in out.detail
    assert out.payload == forged  # the dead letter keeps the exact bytes


@pytest.mark.parametrize("constant", CONSTANTS)
def test_nonfinite_in_a_quantity_is_malformed(constant: str) -> None:
    qty = [{"epcClass": "urn:epc:class:lgtin:0614141.812345.L1", "quantity": None}]
    forged = envelope(REG, "dev-1", 2, [event(quantityList=qty)]).replace(
        b"null", constant.encode()
    )
    out = decoder(REG).decode(TOPIC, forged, now())
    assert isinstance(out, Refused) and out.reason == "malformed"
    assert out.field == "events[0].quantityList[0].quantity"


_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.text("abc xyz", max_size=5)
)
_VALUE = st.recursive(
    _LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text("abcxyz", max_size=4), inner, max_size=3),
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    value=_VALUE.filter(lambda v: "null" in json.dumps(v)),
    which=st.integers(0, 50),
    constant=st.sampled_from(CONSTANTS),
)
def test_any_null_replaced_after_signing_is_refused(value: Any, which: int, constant: str) -> None:
    signed = envelope(REG, "dev-1", 3, [note(value, "example:data")])
    spots = [i for i in range(len(signed)) if signed.startswith(b"null", i)]
    at = spots[which % len(spots)]
    forged = signed[:at] + constant.encode() + signed[at + 4 :]
    out = decoder(REG).decode(TOPIC, forged, now())
    assert isinstance(out, Refused) and out.reason == "malformed", out
    assert out.field is not None and out.field.startswith("events[0].example:data")
    assert constant in out.detail


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_fast_signing_bytes_refuses_a_nonfinite_float(value: float) -> None:
    env = Envelope.from_json(envelope(REG, "dev-1", 4, [note(None)]))
    env.events[0]["example:note"] = value  # what the lax parser used to build
    with pytest.raises(NonFiniteNumberError) as info:
        fast_signing_bytes(env)
    assert info.value.field == "events[0].example:note"
    with pytest.raises(ValueError, match=r"has no JSON form"):
        verify_envelope(env, REG.devices["dev-1"].keys[env.key].public_key)
