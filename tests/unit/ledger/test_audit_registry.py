"""Audit step 10's replay of ``registry.*`` entries: a signed entry is taken, anything else --
another key, a bad signature, an unreadable body -- is a named failure, never a crash."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from traceability.ledger.audit.keys import KeyState
from traceability.ledger.audit.recall import PLATFORM_DEVICE
from traceability.ledger.audit.registry import RegistryState, signed_message
from traceability.signing import ed25519 as signing

SEED, PUB = signing.generate_keypair()
KID = signing.key_id(PUB)
T = "2026-12-01T08:00:00.000000Z"


def _keys() -> KeyState:
    keys = KeyState()
    body = {
        "device": PLATFORM_DEVICE,
        "key_id": KID,
        "public_key": base64.b64encode(PUB).decode(),
        "valid_from": "2026-11-01T00:00:00.000000Z",
    }
    assert keys.apply({"kind": "key.register", "body": body}) is None
    return keys


def _entry(fields: dict[str, Any], *, seed: bytes = SEED, kind: str = "registry.party") -> Any:
    body: dict[str, Any] = {"by": "admin", "fields": fields, "key": KID, "subject": "farm"}
    body["sig"] = signing.b64url(signing.sign(seed=seed, message=signed_message(kind, body)))
    return {"kind": kind, "body": body, "recorded_at": T, "index": 3}


def _apply(rec: Any) -> tuple[RegistryState, list[tuple[Any, ...]]]:
    state, fails = RegistryState(), []
    state.apply(3, rec, _keys(), lambda *f: fails.append(f))
    return state, fails


def test_a_signed_entry_becomes_the_latest_state() -> None:
    state, fails = _apply(_entry({"credit_status": "serious_violation"}))
    assert fails == []
    assert state.latest["registry.party"]["farm"] == (3, {"credit_status": "serious_violation"})


def test_a_signature_by_another_key_is_named() -> None:
    other, _ = signing.generate_keypair()
    state, fails = _apply(_entry({"credit_status": "good"}, seed=other))
    assert [(f[0], f[1], f[2]) for f in fails] == [
        (10, 3, "registry.party farm: platform signature")
    ]
    assert state.latest["registry.party"] == {}


def test_a_signature_for_another_kind_is_named() -> None:
    rec = _entry({"party_id": "farm"}, kind="registry.product")
    rec["kind"] = "registry.party"
    rec["body"]["fields"] = {"credit_status": "good"}
    _state, fails = _apply(rec)
    assert fails and fails[0][0] == 10


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"subject": "farm"},
        {"subject": 1, "key": KID, "fields": {"credit_status": "good"}},
        {"subject": "farm", "key": KID, "fields": {"credit_status": 1}},
        {"subject": "farm", "key": KID, "fields": {"credit_status": "good", "x": "y"}},
        {"subject": "farm", "key": KID, "fields": {"credit_status": "good"}, "sig": "!!"},
        {"subject": "farm", "key": "nope", "fields": {"credit_status": "good"}, "sig": "AA"},
    ],
)
def test_unreadable_entries_are_named_never_a_crash(body: Any) -> None:
    rec = {"kind": "registry.party", "body": body, "recorded_at": T}
    state, fails = _apply(rec)
    assert len(fails) == 1 and fails[0][0] == 10 and fails[0][1] == 3
    assert state.latest["registry.party"] == {}


def test_an_unreadable_time_is_named() -> None:
    rec = _entry({"credit_status": "good"})
    rec["recorded_at"] = "yesterday"
    _state, fails = _apply(rec)
    assert len(fails) == 1 and fails[0][0] == 10


def test_other_kinds_are_ignored() -> None:
    state, fails = _apply({"kind": "key.register", "body": {}})
    assert fails == [] and all(not v for v in state.latest.values())
