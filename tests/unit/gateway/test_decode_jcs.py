"""The fast signing path is a pure optimisation: it yields RFC 8785 bytes or steps aside.

Before: the gateway verified a signature made over orjson's sorted-key bytes where they differ
from RFC 8785 (``4.0`` for JCS ``4``, ``1e+16``, integers beyond 2^53, the order of member
names beyond U+FFFF) and stored the envelope as valid; the reference
``signing.envelope.verify_signature`` rejects it. Also ``seq`` ``"7\\n"`` passed ``^...$``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.decode import Accepted, Refused, fast_signing_bytes, verify_envelope
from tests.support.decoding import Registry, decoder, event
from traceability.signing import ed25519 as signing
from traceability.signing.envelope import Envelope, EnvelopeError, verify_signature
from traceability.signing.errors import BadSignatureError


def now() -> datetime:
    """The receive time: the wall clock at the call (envelopes are signed with it too), so a
    test that runs minutes into a long session is not judged against its import time."""
    return datetime.now(UTC)


TOPIC = "trace/v1/dev-1/events"
REG = Registry()
KID, SEED = REG.add("dev-1")
PUB = signing.public_key_from_seed(seed=SEED)
DUMMY_SIG = "A" * 86


def unsigned(value: Any, seq: int = 1) -> dict[str, Any]:
    ev = event()
    ev["example:x"] = value
    return {
        "v": 1,
        "device": "dev-1",
        "key": KID,
        "seq": str(seq),
        "sent_at": (now() - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "events": [ev],
    }


def signed_over(doc: dict[str, Any], message: bytes) -> bytes:
    return orjson.dumps({**doc, "sig": signing.b64url(signing.sign(seed=SEED, message=message))})


def orjson_bytes(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


@pytest.mark.parametrize(
    "value",
    [4.0, -0.0, 1e16, 1e-6, 100.0, [1.0, 2.5], {"\ue000": 1, "\U0001f600": 2}],
    ids=["4.0", "-0.0", "1e16", "1e-6", "100.0", "list", "non-BMP-key-order"],
)
def test_signature_over_orjson_bytes_that_are_not_jcs_is_bad(value: Any) -> None:
    doc = unsigned(value)
    assert orjson_bytes(doc) != rfc8785.dumps(doc)
    payload = signed_over(doc, orjson_bytes(doc))
    with pytest.raises(BadSignatureError):  # the reference
        verify_signature(Envelope.from_json(payload), public_key=PUB)
    out = decoder(REG).decode(TOPIC, payload, now())
    assert isinstance(out, Refused) and out.reason == "bad_signature", out
    # the same content signed over its RFC 8785 bytes is accepted, and those bytes travel on
    good = signed_over(doc, rfc8785.dumps(doc))
    acc = decoder(REG).decode(TOPIC, good, now())
    assert isinstance(acc, Accepted) and acc.signed == rfc8785.dumps(doc)


def test_integer_beyond_2_53_signed_over_orjson_bytes_is_refused() -> None:
    doc = unsigned(2**53 + 1)
    payload = signed_over(doc, orjson_bytes(doc))
    with pytest.raises(rfc8785.CanonicalizationError):  # the reference: no RFC 8785 form
        Envelope.from_json(payload).signing_bytes()
    out = decoder(REG).decode(TOPIC, payload, now())
    assert isinstance(out, Refused) and out.reason == "malformed"


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("seq", "7\n"),
        ("device", "dev-1\n"),
        ("key", KID + "\n"),
        ("sent_at", "2026-01-01T00:00:00Z\n"),
        ("sig", DUMMY_SIG + "\n"),
    ],
)
def test_trailing_newline_in_an_id_is_refused(member: str, value: str) -> None:
    doc = {**unsigned("x"), "sig": DUMMY_SIG, member: value}
    with pytest.raises(EnvelopeError) as err:
        Envelope.from_dict(doc)
    assert err.value.field == member
    out = decoder(REG).decode(TOPIC, orjson.dumps(doc), now())
    assert isinstance(out, Refused) and out.reason == "malformed" and out.field == member


# JSON values as a device might put in an extension member: floats of every kind, integers on
# both sides of 2^53, text with escapes, controls, BMP and non-BMP characters, such member names
_text = st.text(st.characters(codec="utf-8"), max_size=8)
_scalars = (
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.sampled_from([4.0, -0.0, 1e16, 1e21, 1e-6, 1e-7, 0.1, 5e-324, 2.0**53, 123.0])
    | _text
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


def _reference(doc: dict[str, Any]) -> bytes | None:
    try:
        return rfc8785.dumps(doc)
    except rfc8785.CanonicalizationError:
        return None


@settings(max_examples=600, deadline=None)
@given(_values)
def test_fast_bytes_are_jcs_or_absent(value: Any) -> None:
    doc = unsigned(value)
    env = Envelope.from_dict({**doc, "sig": DUMMY_SIG})
    fast = fast_signing_bytes(env)
    ref = _reference(env.unsigned())
    if fast is not None:
        assert fast == ref


@settings(max_examples=300, deadline=None)
@given(_values)
def test_fast_path_verifies_exactly_what_the_reference_verifies(value: Any) -> None:
    doc = unsigned(value)
    ref = _reference(doc)
    candidates = [orjson_bytes(doc)] + ([ref] if ref is not None else [])
    for message in candidates:
        env = Envelope.from_json(signed_over(doc, message))
        try:
            verify_signature(env, public_key=PUB)
            reference_ok = True
        except (BadSignatureError, rfc8785.CanonicalizationError):
            reference_ok = False
        try:
            fast = verify_envelope(env, PUB)
        except rfc8785.CanonicalizationError:
            fast = None
        assert (fast is not None) == reference_ok, (message, ref)
        if fast is not None:
            assert fast == ref
