"""The envelope's reader form, and the reader files of the gateway's bad-input corpus through the
decode path (tests/integration/corpus: reader_cases.py writes them, manifest.json names the
reason; test_reliability_gateway.py publishes them to a real gateway too)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.decode import Accepted
from tests.support.decoding import SGLN, Registry, decoder
from tests.support.readers import IMPINJ, member
from traceability.readers import ReaderError
from traceability.signing import ed25519 as signing
from traceability.signing import envelope as env_mod
from traceability.signing.envelope import Envelope, EnvelopeError, body_events

CORPUS = Path(__file__).resolve().parents[2] / "integration" / "corpus"
SEED = bytes(32)
KID = signing.key_id(signing.public_key_from_seed(seed=SEED))


def build(**kw: Any) -> bytes:
    return env_mod.build(device="dev-1", key_id=KID, seed=SEED, seq=1, **kw)


def test_reader_form_round_trips_and_derives_once() -> None:
    reader = member("impinj-iot/v1", IMPINJ)
    env = Envelope.from_json(build(reader=reader))
    assert env.kind == "reader" and env.signed_events is None and env.reader == reader
    assert "events" not in env.unsigned() and env.unsigned()["reader"] == reader
    env_mod.verify_signature(env, public_key=signing.public_key_from_seed(seed=SEED))
    first = env.events
    assert len(first) == 3 and env.events is first  # derived once, the same objects after
    assert body_events(env.signing_bytes()) == first  # what the audit re-derives
    plain = Envelope.from_json(build(events=first))
    assert plain.kind == "events" and plain.digest() != env.digest()


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (lambda d: d.pop("reader"), "malformed", "events"),
        (lambda d: d.update(events=[{"type": "ObjectEvent"}]), "malformed", "events"),
        (lambda d: d["reader"].update(format="impinj-iot/v0"), "reader_invalid", "reader.format"),
        (lambda d: d["reader"].update(messages="{}"), "reader_invalid", "reader.messages"),
        (lambda d: d["reader"]["config"].pop("biz_step"), "reader_invalid", "reader.config.biz_step"),  # noqa: E501
        (lambda d: d.update(reader=None), "reader_invalid", "reader"),
    ],
)  # fmt: skip
def test_reader_form_checked_at_construction(change: Any, code: str, field: str) -> None:
    doc = json.loads(build(reader=member("impinj-iot/v1", IMPINJ)))
    change(doc)
    with pytest.raises(EnvelopeError) as caught:
        Envelope.from_json(json.dumps(doc).encode())
    assert (caught.value.code, caught.value.field) == (code, field)
    assert caught.value.message


def test_bad_message_is_found_on_derivation() -> None:
    bad = member("impinj-iot/v1", [{**IMPINJ[0], "timestamp": "then"}])
    bad["messages"][0]["tagInventoryEvent"] = {"epcHex": "XYZ0"}
    env = Envelope.from_json(build(reader=bad))  # the shape is fine ...
    with pytest.raises(ReaderError) as caught:
        _ = env.events  # ... the message is not
    assert caught.value.field == "reader.messages[0].tagInventoryEvent.epcHex"
    assert caught.value.value == "XYZ0"


def test_build_wants_exactly_one_body() -> None:
    with pytest.raises(EnvelopeError):
        build()
    with pytest.raises(EnvelopeError):
        build(events=[{}], reader=member("impinj-iot/v1", IMPINJ))


def _corpus_cases() -> list[dict[str, str]]:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    return [e for e in manifest["bad"] if "reader" in e["file"]]


def test_corpus_has_reader_cases() -> None:
    reasons = {e["reason"] for e in _corpus_cases()}
    assert {"reader_invalid", "topic_mismatch", "malformed", "bad_signature"} <= reasons
    assert len(_corpus_cases()) >= 12


@pytest.mark.parametrize("case", _corpus_cases(), ids=lambda e: e["file"])
def test_corpus_reader_cases_decode_to_their_reason(case: dict[str, str]) -> None:
    reg = Registry()
    reg.add("dev-c", seed=hashlib.sha256(b"suyuan-corpus/dev-c").digest(), sgln=SGLN)
    out = decoder(reg).decode(
        case["topic"], (CORPUS / case["file"]).read_bytes(), datetime.now(UTC)
    )
    assert not isinstance(out, Accepted)
    assert out.reason == case["reason"], out.detail
    if out.reason == "reader_invalid":
        assert out.field and out.field.startswith("reader"), out.field
