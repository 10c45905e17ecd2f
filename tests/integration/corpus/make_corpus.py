"""Regenerate the gateway's bad-input corpus (and the good envelopes it is interleaved with).

    .venv/bin/python tests/integration/corpus/make_corpus.py [--check]

Deterministic: device keys come from fixed seeds (SHA-256 of a label), times are fixed, and
bit flips and paddings are fixed, so a run rewrites byte-identical files; ``--check`` exits 1
if any file on disk differs from what would be written (CI: the corpus matches its generator).

Each bad file holds the exact payload bytes published; ``manifest.json`` names, per file, the
topic it is published on and the dead-letter reason (docs/protocol.md §5) the gateway must give it.
The test (``test_reliability_gateway.py::test_reliability_bad_input_corpus``) registers the
devices with these keys, runs the gateway with ``TRACE_GATEWAY_MAX_PAYLOAD=MAX_PAYLOAD``,
publishes good/ and bad files interleaved and checks every dead letter and every good event.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from traceability.signing import ed25519 as signing
from traceability.signing import envelope as env_mod

HERE = Path(__file__).resolve().parent
MAX_PAYLOAD = 16 * 1024  # the corpus gateway's limit (oversize.json is just above it)
SGLN = "urn:epc:id:sgln:0614141.00001.0"  # the test devices' bound location
OTHER_SGLN = "urn:epc:id:sgln:0614141.00002.0"
SENT = datetime(2025, 6, 1, 8, 0, 0, tzinfo=UTC)
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)
N_GOOD = 30
DEVICES = ("dev-c", "dev-rev")  # registered by the test; dev-rev's key is revoked
GHOST = "dev-ghost"  # never registered
UNREGISTERED_KEY = "dev-c/unregistered"  # a key of dev-c that was never enrolled


def seed_of(label: str) -> bytes:
    """The fixed Ed25519 seed of a corpus key."""
    return hashlib.sha256(f"suyuan-corpus/{label}".encode()).digest()


def key_id_of(label: str) -> str:
    return signing.key_id(signing.public_key_from_seed(seed=seed_of(label)))


def event(
    serial: str,
    *,
    when: datetime = SENT,
    read_point: str = SGLN,
    epc: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "eventTimeZoneOffset": "+08:00",
        "epcList": [epc or f"urn:epc:id:sgtin:0614141.812345.{serial}"],
        "action": "ADD",
        "bizStep": "commissioning",
        "readPoint": {"id": read_point},
    }
    ev.update(extra)
    return ev


def envelope(
    device: str,
    seq: int | str,
    events: list[dict[str, Any]] | None,
    *,
    key: str | None = None,
    sent_at: datetime = SENT,
    reader: dict[str, Any] | None = None,
) -> bytes:
    label = key or device
    return env_mod.build(
        device=device,
        key_id=key_id_of(label),
        seed=seed_of(label),
        seq=seq,
        events=events,
        reader=reader,
        sent_at=sent_at,
    )


def edit(payload: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """Change a signed envelope after signing (the signature is left as it was)."""
    doc = json.loads(payload)
    change(doc)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def null_to(payload: bytes, constant: bytes) -> bytes:
    """Change the signed envelope's one ``null`` to a JSON constant RFC 8259 does not have
    (``NaN``, ``Infinity``, ``-Infinity``) after signing: a lax parser reads a float there that
    a lax serialiser writes back as ``null``, so the signature would still verify."""
    assert payload.count(b"null") == 1
    return payload.replace(b"null", constant)


def flip_signature_bit(payload: bytes, bit: int) -> bytes:
    def change(doc: dict[str, Any]) -> None:
        sig = bytearray(base64.urlsafe_b64decode(doc["sig"] + "=="))
        sig[bit // 8] ^= 1 << (bit % 8)
        doc["sig"] = base64.urlsafe_b64encode(bytes(sig)).rstrip(b"=").decode()

    return edit(payload, change)


def topic(device: str = "dev-c") -> str:
    return f"trace/v1/{device}/events"


def good() -> dict[str, bytes]:
    return {
        f"good/seq-{i:04d}.json": envelope("dev-c", i, [event(f"good{i}")])
        for i in range(1, N_GOOD + 1)
    }


def bad() -> list[tuple[str, str, str, bytes]]:
    """(file, topic, expected reason, payload)."""
    ok = envelope("dev-c", 500, [event("base")])
    out: list[tuple[str, str, str, bytes]] = [
        ("malformed-json-truncated.json", topic(), "malformed", ok[: len(ok) // 2]),
        ("malformed-json-array.json", topic(), "malformed", b"[]"),
        ("malformed-invalid-utf8.json", topic(), "malformed", ok.replace(b'.base"', b'.ba\xffse"')),
        (
            "malformed-missing-signature.json",
            topic(),
            "malformed",
            edit(envelope("dev-c", 501, [event("nosig")]), lambda d: d.pop("sig")),
        ),
        (
            "malformed-seq-not-decimal.json",
            topic(),
            "malformed",
            envelope("dev-c", "0x1f", [event("hexseq")]),
        ),
        (
            "oversize.json",
            topic(),
            "oversize",
            envelope("dev-c", 502, [event(f"big{i}") for i in range(70)]),
        ),
        (
            "topic-mismatch.json",
            topic("dev-x"),
            "topic_mismatch",
            envelope("dev-c", 503, [event("tm")]),
        ),
        (
            "unknown-device.json",
            topic(GHOST),
            "unknown_device",
            envelope(GHOST, 1, [event("ghost")]),
        ),
        (
            "unknown-key.json",
            topic(),
            "unknown_key",
            envelope("dev-c", 504, [event("uk")], key=UNREGISTERED_KEY),
        ),
        (
            "revoked-device.json",
            topic("dev-rev"),
            "device_revoked",
            envelope("dev-rev", 1, [event("rev")]),
        ),
        *[
            (
                f"modified-signature-bit-{b}.json",
                topic(),
                "bad_signature",
                flip_signature_bit(envelope("dev-c", 510 + b, [event(f"sig{b}")]), b),
            )
            for b in (0, 3, 200, 511)
        ],
        (
            "modified-event-after-signing.json",
            topic(),
            "bad_signature",
            edit(
                envelope("dev-c", 505, [event("orig")]),
                lambda d: d["events"][0].update(epcList=["urn:epc:id:sgtin:0614141.812345.fake"]),
            ),
        ),
        *[
            (
                f"{name}-after-signing.json",
                topic(),
                "malformed",
                null_to(envelope("dev-c", seq, [{**event(name), "example:note": None}]), constant),
            )
            for name, seq, constant in (
                ("nan", 530, b"NaN"),
                ("infinity", 531, b"Infinity"),
                ("negative-infinity", 532, b"-Infinity"),
            )
        ],
        (
            "modified-seq-after-signing.json",
            topic(),
            "bad_signature",
            edit(envelope("dev-c", 506, [event("seqmod")]), lambda d: d.update(seq="507")),
        ),
        (
            "signed-by-other-device.json",
            topic(),
            "bad_signature",
            envelope("dev-c", 508, [event("other")], key="dev-rev").replace(
                key_id_of("dev-rev").encode(), key_id_of("dev-c").encode()
            ),
        ),
        ("replayed-seq.json", topic(), "replayed_seq", envelope("dev-c", 1, [event("replayed")])),
        (
            "wrong-gtin-check-digit.json",
            topic(),
            "invalid_identifier",
            envelope("dev-c", 520, [event("dl", epc="https://id.gs1.org/01/09506000134353/21/1")]),
        ),
        (
            "invalid-sgtin-company-prefix.json",
            topic(),
            "invalid_identifier",
            envelope("dev-c", 521, [event("x", epc="urn:epc:id:sgtin:06141.812345.1")]),
        ),
        (
            "unknown-event-type.json",
            topic(),
            "schema_invalid",
            envelope("dev-c", 522, [event("type", type="TeleportEvent")]),
        ),
        ("missing-action.json", topic(), "schema_invalid", edit_event_field(523, "action")),
        (
            "location-not-bound.json",
            topic(),
            "location_not_allowed",
            envelope("dev-c", 524, [event("loc", read_point=OTHER_SGLN)]),
        ),
        (
            "far-future-event-time.json",
            topic(),
            "clock_skew",
            envelope("dev-c", 525, [event("fut", when=FAR_FUTURE)]),
        ),
        (
            "far-future-sent-at.json",
            topic(),
            "clock_skew",
            envelope("dev-c", 526, [event("futsent")], sent_at=FAR_FUTURE),
        ),
    ]
    readers: list[tuple[str, str, str, bytes]] = reader_cases().cases(envelope, edit)
    return out + readers


def reader_cases() -> ModuleType:
    """reader_cases.py beside this file (loaded by path: this file also runs as a script)."""
    spec = importlib.util.spec_from_file_location("reader_cases", HERE / "reader_cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def edit_event_field(seq: int, name: str) -> bytes:
    ev = event(f"no-{name}")
    ev.pop(name)
    return envelope("dev-c", seq, [ev])


def files() -> dict[str, bytes]:
    out = dict(good())
    entries: list[dict[str, str]] = []
    manifest = {
        "generator": "tests/integration/corpus/make_corpus.py",
        "max_payload": MAX_PAYLOAD,
        "devices": list(DEVICES),
        "revoked": ["dev-rev"],
        "good": sorted(out),
        "bad": entries,
    }
    for name, tpc, reason, payload in bad():
        out[name] = payload
        entries.append({"file": name, "topic": tpc, "reason": reason})
    out["manifest.json"] = (json.dumps(manifest, indent=1) + "\n").encode()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, data in files().items():
        path = HERE / name
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(name)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    if args.check and stale:
        print("corpus differs from its generator:", ", ".join(stale), file=sys.stderr)
        return 1
    print(f"{len(files())} files{' (' + str(len(stale)) + ' written)' if stale else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
