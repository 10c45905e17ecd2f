"""The decode path: parse -> topic check -> key lookup -> signature -> validation -> dedupe.

Pure CPU work on one message except for registry cache misses (one query per device, which
may raise :class:`TransientError`: the message is then retried, never dead-lettered). Every
other failure becomes a :class:`Rejected` outcome; no payload can make :meth:`Decoder.decode`
raise anything else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions

from gateway.errors import Rejected, TransientError
from gateway.keys import DeviceInfo, KeyCache
from gateway.validation import EventPreparer, PreparedEvent
from traceability.signing.envelope import Envelope, EnvelopeError
from traceability.signing.service import canonical

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Accepted:
    topic: str
    payload: bytes
    envelope: Envelope
    device: DeviceInfo
    key_id: str
    digest: str
    events: list[PreparedEvent]
    received_at: datetime
    duplicate: bool = False


@dataclass(slots=True)
class Refused:
    topic: str
    payload: bytes
    reason: str
    device: str | None
    field: str | None
    detail: str
    received_at: datetime = dataclasses.field(default_factory=lambda: datetime.now().astimezone())


Outcome = Accepted | Refused


class SeenCache:
    """(device, seq) -> digest of envelopes already stored; bounded, most recent kept."""

    def __init__(self, max_entries: int = 1_000_000) -> None:
        self._d: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, device: str, seq: str) -> str | None:
        return self._d.get((device, seq))

    def add(self, device: str, seq: str, digest: str) -> None:
        with self._lock:
            self._d[(device, seq)] = digest
            if len(self._d) > self._max:
                for _ in range(len(self._d) // 10):
                    self._d.popitem(last=False)


def topic_parts(topic: str) -> tuple[str, str] | None:
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != "trace" or parts[1] != "v1" or not parts[2]:
        return None
    if parts[3] not in ("events", "reader"):
        return None
    return parts[2], parts[3]


def fast_signing_bytes(env: Envelope) -> bytes:
    """Sorted-key compact JSON: equal to RFC 8785 for the usual envelope (no floats)."""
    return json.dumps(env.unsigned(), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode("utf-8")


def verify_envelope(env: Envelope, public_key: bytes) -> bytes | None:
    """The signed bytes if ``sig`` verifies (fast canonical form first, then true JCS)."""
    first = fast_signing_bytes(env)
    if _verify(public_key, first, env.sig):
        return first
    jcs = canonical(env.unsigned())
    if jcs != first and _verify(public_key, jcs, env.sig):
        return jcs
    return None


def _verify(public_key: bytes, message: bytes, sig: bytes) -> bool:
    if len(sig) != 64 or len(public_key) != 32:
        return False
    try:
        sodium.crypto_sign_open(sig + message, public_key)
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False
    return True


class Decoder:
    def __init__(self, *, keys: KeyCache, max_payload: int, clock_skew_s: int,
                 seen: SeenCache | None = None) -> None:
        self.keys = keys
        self.max_payload = max_payload
        self.skew = timedelta(seconds=clock_skew_s)
        self.preparer = EventPreparer(clock_skew_s=clock_skew_s)
        self.seen = seen or SeenCache()

    def decode(self, topic: str, payload: bytes, received_at: datetime) -> Outcome:
        device: str | None = None
        try:
            parts = topic_parts(topic)
            device = parts[0] if parts else None
            return self._decode(topic, payload, received_at, parts)
        except Rejected as exc:
            return Refused(topic, payload, exc.code, exc.device or device, exc.field,
                           exc.message[:2000], received_at)
        except EnvelopeError as exc:
            return Refused(topic, payload, exc.code, device, exc.field, exc.message[:2000],
                           received_at)
        except TransientError:
            raise
        except Exception as exc:  # a bug must not stop the gateway: dead-letter and log
            log.exception("decode failed unexpectedly on %s", topic)
            reason = "malformed" if isinstance(exc, (ValueError, TypeError, RecursionError,
                                                     OverflowError)) else "internal"
            return Refused(topic, payload, reason, device, None,
                           f"{exc.__class__.__name__}: {exc}"[:2000], received_at)

    def _decode(self, topic: str, payload: bytes, received_at: datetime,
                parts: tuple[str, str] | None) -> Outcome:
        env = Envelope.from_json(payload, max_bytes=self.max_payload)
        if parts is None:
            raise Rejected(f"topic {topic[:200]!r} is not trace/v1/{{device}}/events|reader",
                           code="topic_mismatch", field="topic", device=env.device)
        if parts[0] != env.device:
            raise Rejected(f"topic device {parts[0]!r} != envelope device {env.device!r}",
                           code="topic_mismatch", field="device", device=env.device)
        info, key = self.keys.key_for(device_id=env.device, key_id=env.key, at=received_at)
        signed = verify_envelope(env, key.public_key)
        if signed is None:
            raise Rejected(f"signature of {env.device}/{env.seq} does not verify",
                           code="bad_signature", field="sig", device=env.device)
        try:
            sent = env.sent_at_datetime()
        except ValueError:
            raise Rejected(f"sent_at {env.sent_at!r} is not a valid time", code="malformed",
                           field="sent_at", device=env.device) from None
        if sent > received_at + self.skew:
            raise Rejected(f"sent_at {env.sent_at} is beyond the allowed clock skew",
                           code="clock_skew", field="sent_at", device=env.device)
        digest = hashlib.sha256(signed).hexdigest()
        known = self.seen.get(env.device, env.seq)
        if known is not None and known != digest:
            raise Rejected(f"seq {env.seq} of {env.device} was already used for other content",
                           code="replayed_seq", field="seq", device=env.device)
        events = env.events
        if parts[1] == "reader":
            events = convert_reader(events, device=info)
        prepared = self.preparer.prepare(events, device=info, received_at=received_at)
        return Accepted(topic, payload, env, info, key.key_id, digest, prepared, received_at,
                        duplicate=known is not None)


def convert_reader(raw: list[dict[str, Any]], *, device: DeviceInfo) -> list[dict[str, Any]]:
    """Raw Impinj/Zebra reader JSON -> EPCIS events, via ``traceability.readers.to_events``."""
    try:
        fn = importlib.import_module("traceability.readers").to_events
    except (ImportError, AttributeError):
        raise Rejected("reader JSON conversion is not available in this build",
                       code="schema_invalid", field="events", device=device.device_id) from None
    read_point = device.location_sgln or device.location_id
    out: list[dict[str, Any]] = []
    for i, doc in enumerate(raw):
        try:
            out.extend(fn(doc, device_id=device.device_id, read_point=read_point))
        except (ValueError, KeyError, TypeError) as exc:
            raise Rejected(f"reader JSON events[{i}]: {exc}", code="schema_invalid",
                           field=f"events[{i}]", device=device.device_id) from None
    return out
