"""The worked example of docs/protocol.md §3.1.1 is what the code computes, byte for byte."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from traceability.events import validate_event
from traceability.signing import ed25519
from traceability.signing.envelope import Envelope, build, verify_signature

DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"
SEED = bytes(range(32))
EVENT = {
    "type": "ObjectEvent",
    "eventTime": "2026-11-27T08:15:00.000+08:00",
    "eventTimeZoneOffset": "+08:00",
    "epcList": ["urn:epc:id:sgtin:0614141.812345.6789"],
    "action": "OBSERVE",
    "bizStep": "receiving",
    "readPoint": {"id": "urn:epc:id:sgln:0614141.00001.0"},
}


def _doc_value(label: str) -> str:
    found = re.search(rf"^{re.escape(label)}\s+(\S+)", DOC.read_text(encoding="utf-8"), re.M)
    assert found, f"docs/protocol.md has no {label!r} line"
    return found.group(1)


def _doc_line(prefix: str) -> str:
    lines = [x for x in DOC.read_text(encoding="utf-8").splitlines() if x.startswith(prefix)]
    assert len(lines) == 1, prefix
    return lines[0]


def test_keys_and_key_id_match_the_doc() -> None:
    public = ed25519.public_key_from_seed(seed=SEED)
    assert _doc_value("seed (private key)") == SEED.hex()
    assert _doc_value("public key") == public.hex()
    assert f"{ed25519.b64url(public)} " in DOC.read_text(encoding="utf-8")
    assert _doc_value("key id") == ed25519.key_id(public)


def test_envelope_signature_and_digest_match_the_doc() -> None:
    public = ed25519.public_key_from_seed(seed=SEED)
    payload = build(
        device="farm-gate-01",
        key_id=ed25519.key_id(public),
        seed=SEED,
        seq="1042",
        events=[EVENT],
        sent_at=datetime(2026, 11, 27, 0, 15, 2, 331000, tzinfo=UTC),
    )
    env = Envelope.from_json(payload)
    assert _doc_line('{"device":"farm-gate-01"') == env.signing_bytes().decode()
    assert _doc_value("signature") == ed25519.b64url(env.sig)
    assert _doc_value("envelope digest") == env.digest()
    assert _doc_line('{"v":1,"device"') == payload.decode()
    verify_signature(Envelope.from_json(_doc_line('{"v":1,"device"').encode()), public_key=public)
    assert validate_event(EVENT, index=0) == []
