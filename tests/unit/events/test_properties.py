"""Property tests: the event hash is a function of the event's meaning, not its spelling."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from traceability.events import (
    event_hash,
    parse_document,
    parse_event,
    to_jsonld,
    validate_event,
)
from traceability.events.vocab import BIZ_STEPS, DISPOSITIONS, Vocab, bare_word, normalise

SPELLINGS = {
    Vocab.BIZ_STEP: (
        lambda w: w,
        lambda w: f"cbv:BizStep-{w}",
        lambda w: f"https://ref.gs1.org/cbv/BizStep-{w}",
        lambda w: f"urn:epcglobal:cbv:bizstep:{w}",
    ),
    Vocab.DISPOSITION: (
        lambda w: w,
        lambda w: f"cbv:Disp-{w}",
        lambda w: f"https://ref.gs1.org/cbv/Disp-{w}",
        lambda w: f"urn:epcglobal:cbv:disp:{w}",
    ),
}

serials = st.text(alphabet="ABCXYZ0123456789-_", min_size=1, max_size=12)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))  # the hash keeps ms
offsets = st.integers(min_value=-14 * 4, max_value=14 * 4).map(lambda q: timedelta(minutes=15 * q))


def _event(serial: str, when: datetime, step: str, disp: str) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+08:00",
        "epcList": [
            f"urn:epc:id:sgtin:0614141.107346.{serial}",
            "urn:epc:id:sscc:0614141.1234567890",
        ],
        "action": "OBSERVE",
        "bizStep": step,
        "disposition": disp,
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "bizTransactionList": [
            {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1"}
        ],
        "example:note": {"example:a": "1", "example:b": ["x", "y"]},
    }


CTX = [{"example": "https://ns.example.com/epcis/"}]


@settings(max_examples=60, deadline=None)
@given(
    serial=serials,
    when=instants,
    offset=offsets,
    step=st.sampled_from(sorted(BIZ_STEPS)),
    disp=st.sampled_from(sorted(DISPOSITIONS)),
    seed=st.integers(0, 2**32),
    spell=st.integers(0, 3),
)
def test_hash_invariant_under_reexpression(
    serial: str, when: datetime, offset: timedelta, step: str, disp: str, seed: int, spell: int
) -> None:
    base = _event(serial, when, step, disp)
    reference = event_hash(base, context=CTX)
    rng = random.Random(seed)
    other = dict(rng.sample(list(base.items()), len(base)))  # key order
    other["epcList"] = list(reversed(base["epcList"]))  # list order
    local = when.astimezone(timezone(offset))  # same instant, other offset
    other["eventTime"] = local.isoformat(timespec="microseconds")
    other["bizStep"] = SPELLINGS[Vocab.BIZ_STEP][spell](step)  # CURIE / URI / URN / bare
    other["disposition"] = SPELLINGS[Vocab.DISPOSITION][3 - spell](disp)
    other["readPoint"] = {"id": "https://example.com/414/0614141073467/254/1234?x=1"}
    assert event_hash(other, context=CTX) == reference


@settings(max_examples=40, deadline=None)
@given(serial=serials, when=instants, step=st.sampled_from(sorted(BIZ_STEPS)))
def test_hash_changes_with_content(serial: str, when: datetime, step: str) -> None:
    base = _event(serial, when, step, "in_transit")
    changed = dict(base, eventTime=(when + timedelta(milliseconds=1)).isoformat())
    assert event_hash(changed) != event_hash(base)
    assert event_hash(dict(base, action="ADD")) != event_hash(base)
    assert event_hash(dict(base, recordTime="2030-01-01T00:00:00Z", eventID="x")) == event_hash(
        base
    )


@given(word=st.sampled_from(sorted(BIZ_STEPS)), spell=st.integers(0, 3))
def test_vocab_normaliser(word: str, spell: int) -> None:
    value = SPELLINGS[Vocab.BIZ_STEP][spell](word)
    assert normalise(value, Vocab.BIZ_STEP) == f"https://ref.gs1.org/cbv/BizStep-{word}"
    assert bare_word(value, Vocab.BIZ_STEP) == word
    assert normalise("https://example.com/steps/x", Vocab.BIZ_STEP) == "https://example.com/steps/x"


@settings(max_examples=30, deadline=None)
@given(serial=serials, when=instants)
def test_models_round_trip_keep_hash_and_validity(serial: str, when: datetime) -> None:
    event = _event(serial, when, "shipping", "in_transit")
    model = parse_event(event)
    dumped = to_jsonld(model)
    assert event_hash(dumped, context=CTX) == event_hash(event, context=CTX)
    assert validate_event(dumped) == validate_event(event) == []
    doc = to_jsonld([model])
    assert parse_document(doc).events[0] == model
