from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from gateway.decode import Accepted, Refused, fast_signing_bytes
from tests.support.decoding import Registry, decoder, envelope, event, reader_envelope
from traceability.signing.envelope import Envelope


def now() -> datetime:
    """The receive time: the wall clock at the call (envelopes are signed with it too), so a
    test that runs minutes into a long session is not judged against its import time."""
    return datetime.now(UTC)


@pytest.fixture
def reg() -> Registry:
    r = Registry()
    r.add("dev-1")
    r.add("dev-2")
    r.add("dev-gone", status="revoked")
    r.add("dev-key-revoked", revoked_at=now() - timedelta(hours=1))
    return r


def _reader(epc_hex: str) -> dict[str, object]:
    when = (now() - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    tag = {"epcHex": epc_hex, "antennaPort": 1}
    return {
        "format": "impinj-iot/v1",
        "config": {"biz_step": "receiving", "read_point": "urn:epc:id:sgln:0614141.00001.0"},
        "messages": [{"timestamp": when, "eventType": "tagInventory", "tagInventoryEvent": tag}],
    }


READ = _reader("3074257BF7194E4000001A85")
BAD_HEX = _reader("3074257BF7194E4000001A8Z")


def test_reader_envelope_is_accepted_with_derived_events(reg: Registry) -> None:
    out = decoder(reg).decode(
        "trace/v1/dev-1/reader", reader_envelope(reg, "dev-1", 1, READ), now()
    )
    assert isinstance(out, Accepted), out
    assert [e.body["epcList"] for e in out.events] == [["urn:epc:id:sgtin:0614141.812345.6789"]]
    assert out.events[0].body is out.envelope.events[0]  # the ledger finds it in its envelope
    assert out.events[0].event_hash.startswith("ni:///sha-256;")


def test_reader_invalid_names_the_field(reg: Registry) -> None:
    out = decoder(reg).decode(
        "trace/v1/dev-1/reader", reader_envelope(reg, "dev-1", 1, BAD_HEX), now()
    )
    assert isinstance(out, Refused) and out.reason == "reader_invalid"
    assert out.field == "reader.messages[0].tagInventoryEvent.epcHex"
    assert "3074257BF7194E4000001A8Z" in out.detail


def test_forged_reader_envelope_is_bad_signature_before_derivation(reg: Registry) -> None:
    doc = json.loads(reader_envelope(reg, "dev-1", 1, BAD_HEX))
    doc["seq"] = "2"
    out = decoder(reg).decode("trace/v1/dev-1/reader", json.dumps(doc).encode(), now())
    assert reason(out) == "bad_signature"  # unsigned bytes are never derived from


def reason(out: Accepted | Refused) -> str:
    return "accepted" if isinstance(out, Accepted) else out.reason


def test_good_envelope_is_accepted_with_hashes(reg: Registry) -> None:
    out = decoder(reg).decode("trace/v1/dev-1/events", envelope(reg, "dev-1", 1), now())
    assert isinstance(out, Accepted)
    assert out.events[0].event_hash.startswith("ni:///sha-256;")
    assert out.envelope.seq == "1" and len(out.digest) == 64


@pytest.mark.parametrize(
    ("topic", "payload_fn", "expected"),
    [
        ("trace/v1/dev-1/events", lambda r: b"{not json", "malformed"),
        ("trace/v1/dev-1/events", lambda r: b"\xff\xfe", "malformed"),
        ("trace/v1/dev-1/events", lambda r: b"[1,2]", "malformed"),
        ("trace/v1/dev-1/events", lambda r: b" " * 300_000, "oversize"),
        ("trace/v1/dev-2/events", lambda r: envelope(r, "dev-1", 1), "topic_mismatch"),
        ("trace/v1/dev-1/other", lambda r: envelope(r, "dev-1", 1), "topic_mismatch"),
        ("trace/v1/dev-gone/events", lambda r: envelope(r, "dev-gone", 1), "device_revoked"),
        (
            "trace/v1/dev-key-revoked/events",
            lambda r: envelope(r, "dev-key-revoked", 1),
            "device_revoked",
        ),
        ("trace/v1/dev-1/reader", lambda r: envelope(r, "dev-1", 1), "topic_mismatch"),
        ("trace/v1/dev-1/events", lambda r: reader_envelope(r, "dev-1", 1, READ), "topic_mismatch"),
        ("trace/v1/dev-2/reader", lambda r: reader_envelope(r, "dev-1", 1, READ), "topic_mismatch"),
        (
            "trace/v1/dev-1/reader",
            lambda r: reader_envelope(r, "dev-1", 1, BAD_HEX),
            "reader_invalid",
        ),
        (
            "trace/v1/dev-gone/reader",
            lambda r: reader_envelope(r, "dev-gone", 1, READ),
            "device_revoked",
        ),
    ],
)
def test_rejections(reg: Registry, topic: str, payload_fn: object, expected: str) -> None:
    payload = payload_fn(reg)  # type: ignore[operator]
    assert reason(decoder(reg).decode(topic, payload, now())) == expected


def test_unknown_device_and_key(reg: Registry) -> None:
    reg.add("ghost")
    payload = envelope(reg, "ghost", 1)
    del reg.devices["ghost"]
    assert reason(decoder(reg).decode("trace/v1/ghost/events", payload, now())) == "unknown_device"
    doc = json.loads(envelope(reg, "dev-1", 1))
    doc["key"] = "ed25519:0000000000000000"
    out = decoder(reg).decode("trace/v1/dev-1/events", json.dumps(doc).encode(), now())
    assert reason(out) == "unknown_key"


def test_revocation_judged_at_receive_time(reg: Registry) -> None:
    # signed "before" the revocation by the device's own clock: still refused now
    old = [event(when=now() - timedelta(hours=3))]
    payload = envelope(reg, "dev-key-revoked", 1, old, sent_at=now() - timedelta(hours=2))
    out = decoder(reg).decode("trace/v1/dev-key-revoked/events", payload, now())
    assert reason(out) == "device_revoked"
    # received before the revocation: accepted
    out = decoder(reg).decode(
        "trace/v1/dev-key-revoked/events", payload, now() - timedelta(hours=2)
    )
    assert reason(out) == "accepted"


@pytest.mark.parametrize("bit", [0, 3, 100, 511])
def test_signature_bit_flip(reg: Registry, bit: int) -> None:
    doc = json.loads(envelope(reg, "dev-1", 1))
    env = Envelope.from_dict(doc)
    sig = bytearray(env.sig)
    sig[bit // 8] ^= 1 << (bit % 8)
    import base64

    doc["sig"] = base64.urlsafe_b64encode(bytes(sig)).rstrip(b"=").decode()
    out = decoder(reg).decode("trace/v1/dev-1/events", json.dumps(doc).encode(), now())
    assert reason(out) == "bad_signature"


def test_content_tamper_is_bad_signature(reg: Registry) -> None:
    doc = json.loads(envelope(reg, "dev-1", 1))
    doc["seq"] = "2"
    assert (
        reason(decoder(reg).decode("trace/v1/dev-1/events", json.dumps(doc).encode(), now()))
        == "bad_signature"
    )


def test_validation_reasons(reg: Registry) -> None:
    d = decoder(reg)
    future = event(when=now() + timedelta(hours=1))
    assert (
        reason(d.decode("trace/v1/dev-1/events", envelope(reg, "dev-1", 1, [future]), now()))
        == "clock_skew"
    )
    late = envelope(reg, "dev-1", 2, sent_at=now() + timedelta(hours=1))
    assert reason(d.decode("trace/v1/dev-1/events", late, now())) == "clock_skew"
    elsewhere = event(read_point="urn:epc:id:sgln:0614141.99999.0")
    assert (
        reason(d.decode("trace/v1/dev-1/events", envelope(reg, "dev-1", 3, [elsewhere]), now()))
        == "location_not_allowed"
    )
    under = event(read_point="urn:epc:id:sgln:0614141.00001.dock-3")
    assert (
        reason(d.decode("trace/v1/dev-1/events", envelope(reg, "dev-1", 4, [under]), now()))
        == "accepted"
    )
    bad_id = event(epc="https://id.gs1.org/01/09506000134353/21/1")
    assert (
        reason(d.decode("trace/v1/dev-1/events", envelope(reg, "dev-1", 5, [bad_id]), now()))
        == "invalid_identifier"
    )
    no_type = event()
    no_type["type"] = "NotAnEvent"
    assert (
        reason(d.decode("trace/v1/dev-1/events", envelope(reg, "dev-1", 6, [no_type]), now()))
        == "schema_invalid"
    )


def test_seen_seq_duplicate_and_replay(reg: Registry) -> None:
    d = decoder(reg)
    first = d.decode("trace/v1/dev-1/events", envelope(reg, "dev-1", 7), now())
    assert isinstance(first, Accepted)
    d.seen.add("dev-1", "7", first.digest)
    again = d.decode("trace/v1/dev-1/events", first.payload, now())
    assert isinstance(again, Accepted) and again.duplicate
    other = envelope(reg, "dev-1", 7, [event(epc="urn:epc:id:sgtin:0614141.812345.1")])
    assert reason(d.decode("trace/v1/dev-1/events", other, now())) == "replayed_seq"


def test_fast_canonical_equals_jcs_and_fallback(reg: Registry) -> None:
    payload = envelope(reg, "dev-1", 1, [event(extra_note='汉字 \u2028 "q"')])
    env = Envelope.from_json(payload)
    assert fast_signing_bytes(env) == env.signing_bytes()
    # a float forces the JCS fallback (orjson writes 100.0, JCS 100)
    payload = envelope(reg, "dev-1", 2, [event(temp=100.0)])
    env = Envelope.from_json(payload)
    assert fast_signing_bytes(env) != env.signing_bytes()
    assert reason(decoder(reg).decode("trace/v1/dev-1/events", payload, now())) == "accepted"
