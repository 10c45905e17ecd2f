"""The envelope parser reads RFC 8259 JSON only: ``NaN`` / ``Infinity`` / ``-Infinity`` are
``malformed`` (field and constant named), and nothing serialises a non-finite float."""

from __future__ import annotations

import json
import math

import pytest
import rfc8785

from traceability.signing import ed25519 as signing
from traceability.signing import envelope as env_mod
from traceability.signing.envelope import Envelope, EnvelopeError

SEED = bytes(range(32))
KID = signing.key_id(signing.public_key_from_seed(seed=SEED))
EVENT = {"type": "ObjectEvent", "eventTime": "2025-06-01T08:00:00.000Z", "action": "ADD"}
CONSTANTS = ("NaN", "Infinity", "-Infinity")


def signed(**extra: object) -> bytes:
    return env_mod.build(device="dev-1", key_id=KID, seed=SEED, seq=1, events=[{**EVENT, **extra}])


@pytest.mark.parametrize("constant", CONSTANTS)
def test_constant_after_signing_is_malformed(constant: str) -> None:
    payload = signed(**{"example:note": None}).replace(b"null", constant.encode())
    with pytest.raises(EnvelopeError) as info:
        Envelope.from_json(payload)
    assert info.value.code == "malformed"
    assert info.value.field == "events[0].example:note"
    assert info.value.value == constant
    assert constant in info.value.message


@pytest.mark.parametrize("constant", CONSTANTS)
def test_constant_in_an_envelope_member_is_malformed(constant: str) -> None:
    doc = json.loads(signed())
    text = json.dumps(doc).replace('"v": 1', f'"v": {constant}')
    with pytest.raises(EnvelopeError) as info:
        Envelope.from_json(text.encode())
    assert (info.value.code, info.value.field, info.value.value) == ("malformed", "v", constant)


def test_constant_inside_a_string_is_just_text() -> None:
    env = Envelope.from_json(signed(**{"example:note": "NaN Infinity -Infinity"}))
    assert env.events[0]["example:note"] == "NaN Infinity -Infinity"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_canonical_and_build_refuse_a_nonfinite_float(value: float) -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        signing.canonical({"x": [value]})
    with pytest.raises(ValueError):
        signed(**{"example:note": value})


@pytest.mark.parametrize("constant", CONSTANTS)
def test_body_events_refuses_a_constant(constant: str) -> None:
    body = b'{"events":[{"type":"ObjectEvent","x":' + constant.encode() + b"}]}"
    with pytest.raises(ValueError, match=constant):
        env_mod.body_events(body)
