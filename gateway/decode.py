"""The decode path: parse -> topic check -> key lookup -> signature -> validation -> dedupe.

An envelope on ``trace/v1/{device}/reader`` carries a ``reader`` member (raw reader JSON) and
one on ``.../events`` an ``events`` member; the other way round is ``topic_mismatch``. The
events of a reader envelope are derived (:mod:`traceability.readers`) after the signature and
``sent_at`` checks, from the signed member; a message they cannot be derived from is
``reader_invalid``. From there both kinds take the same path.

Pure CPU work on one message except for registry cache misses (one query per device, which
may raise :class:`TransientError`: the message is then retried, never dead-lettered). Every
other failure becomes a :class:`Rejected` outcome; no payload can make :meth:`Decoder.decode`
raise anything else.

Fast paths (each falls back to the reference implementation, so results never differ): the
envelope is parsed with orjson (on any parse or shape error, :meth:`Envelope.from_json` decides
and words the error); the signed bytes are first taken as orjson's sorted-key compact form
(equal to RFC 8785 for the usual envelope: no floats), and only if that does not verify is true
JCS tried. Neither path reads or writes ``NaN`` / ``Infinity``: orjson refuses them and
:meth:`Envelope.from_json` refuses them (``malformed``, the member named); a non-finite float
in an envelope built some other way makes :func:`fast_signing_bytes` raise, never write
``null`` (which is what a forged ``null`` -> ``NaN`` used to verify as). The bytes that
verified travel on as :attr:`Accepted.signed`, so the ledger does not canonicalise the envelope
again.

:class:`gateway.decode_pool.DecodePool` runs the stateless part of the path (everything but the
seen-seq check) in worker processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import nacl.bindings as sodium
import nacl.exceptions
import orjson
import rfc8785

from gateway.errors import Rejected, TransientError
from gateway.key_cache import DeviceInfo, KeyCache
from gateway.validation import EventPreparer, PreparedEvent
from traceability.readers.errors import ReaderError
from traceability.signing.ed25519 import canonical
from traceability.signing.envelope import Envelope, EnvelopeError
from traceability.strict_json import NonFiniteNumberError, check_finite

log = logging.getLogger(__name__)


@dataclass(slots=True, eq=False)  # identity: ``acc in result.stored`` must not compare payloads
class Accepted:
    topic: str
    payload: bytes
    envelope: Envelope
    device: DeviceInfo | None  # None when decoded in a worker process (not needed after decode)
    key_id: str
    digest: str
    events: list[PreparedEvent]
    received_at: datetime
    duplicate: bool = False
    signed: bytes = b""  # the exact bytes the signature verified over (JCS of the envelope)


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


def topic_parts(topic: str, prefix: str = "") -> tuple[str, str] | None:
    if prefix:
        if not topic.startswith(prefix):
            return None
        topic = topic[len(prefix) :]
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != "trace" or parts[1] != "v1" or not parts[2]:
        return None
    if parts[3] not in ("events", "reader"):
        return None
    return parts[2], parts[3]


def fast_signing_bytes(env: Envelope) -> bytes | None:
    """Sorted-key compact JSON: equal to RFC 8785 for the usual envelope (no floats).

    orjson writes NaN and ±Infinity as ``null``: when the output has a ``null``, the envelope
    is checked and a non-finite float raises :class:`NonFiniteNumberError` (no JSON form)."""
    unsigned = env.unsigned()
    try:
        out = orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return None
    if b"null" in out:
        check_finite(unsigned)
    return out


def parse_envelope(payload: bytes, *, max_bytes: int) -> Envelope:
    """:meth:`Envelope.from_json`, parsing with orjson when it can (same result, same errors)."""
    if len(payload) <= max_bytes:
        try:
            doc = orjson.loads(payload)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, dict):
            return Envelope.from_dict(doc, raw=payload)
    return Envelope.from_json(payload, max_bytes=max_bytes)


def verify_envelope(env: Envelope, public_key: bytes) -> bytes | None:
    """The signed bytes if ``sig`` verifies (fast canonical form first, then true JCS)."""
    first = fast_signing_bytes(env)
    if first is not None and _verify(public_key, first, env.sig):
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
    def __init__(
        self,
        *,
        keys: KeyCache,
        max_payload: int,
        clock_skew_s: int,
        seen: SeenCache | None = None,
        topic_prefix: str = "",
    ) -> None:
        self.keys = keys
        self.max_payload = max_payload
        self.skew = timedelta(seconds=clock_skew_s)
        self.preparer = EventPreparer(clock_skew_s=clock_skew_s)
        self.seen = seen or SeenCache()
        self.topic_prefix = topic_prefix

    def decode(
        self, topic: str, payload: bytes, received_at: datetime, *, check_seen: bool = True
    ) -> Outcome:
        """Decode one message; ``check_seen=False`` leaves the seen-seq check to
        :meth:`check_seen` (a worker process has no view of what was stored)."""
        device: str | None = None
        try:
            parts = topic_parts(topic, self.topic_prefix)
            device = parts[0] if parts else None
            outcome = self._decode(topic, payload, received_at, parts)
            return self.check_seen(outcome) if check_seen else outcome
        except Rejected as exc:
            return Refused(
                topic,
                payload,
                exc.code,
                exc.device or device,
                exc.field,
                exc.message[:2000],
                received_at,
            )
        except EnvelopeError as exc:
            return Refused(
                topic, payload, exc.code, device, exc.field, exc.message[:2000], received_at
            )
        except TransientError:
            raise
        except Exception as exc:  # a bug must not stop the gateway: dead-letter and log
            log.exception("decode failed unexpectedly on %s", topic)
            reason = (
                "malformed"
                if isinstance(exc, (ValueError, TypeError, RecursionError, OverflowError))
                else "internal"
            )
            return Refused(
                topic,
                payload,
                reason,
                device,
                None,
                f"{exc.__class__.__name__}: {exc}"[:2000],
                received_at,
            )

    def check_seen(self, outcome: Outcome) -> Outcome:
        """Mark a repeat of a stored (device, seq) a duplicate, or refuse other content."""
        if not isinstance(outcome, Accepted):
            return outcome
        env = outcome.envelope
        known = self.seen.get(env.device, env.seq)
        if known is None:
            return outcome
        if known != outcome.digest:
            return Refused(
                outcome.topic,
                outcome.payload,
                "replayed_seq",
                env.device,
                "seq",
                f"seq {env.seq} of {env.device} was already used for other content",
                outcome.received_at,
            )
        outcome.duplicate = True
        return outcome

    def _decode(
        self, topic: str, payload: bytes, received_at: datetime, parts: tuple[str, str] | None
    ) -> Outcome:
        env = parse_envelope(payload, max_bytes=self.max_payload)
        if parts is None:
            raise Rejected(
                f"topic {topic[:200]!r} is not "
                f"{self.topic_prefix}trace/v1/{{device}}/events|reader",
                code="topic_mismatch",
                field="topic",
                device=env.device,
            )
        if parts[0] != env.device:
            raise Rejected(
                f"topic device {parts[0]!r} != envelope device {env.device!r}",
                code="topic_mismatch",
                field="device",
                device=env.device,
            )
        if parts[1] != env.kind:
            raise Rejected(
                f"an envelope of {env.kind} does not belong on .../{parts[1]}: "
                f"events go on trace/v1/{{device}}/events, raw reader JSON on .../reader",
                code="topic_mismatch",
                field="reader" if env.kind == "reader" else "events",
                device=env.device,
            )
        info, key = self.keys.key_for(device_id=env.device, key_id=env.key, at=received_at)
        try:
            signed = verify_envelope(env, key.public_key)
        except NonFiniteNumberError as exc:
            raise Rejected(
                f"envelope has no RFC 8785 form, so no signature can cover it: {exc.message}",
                code="malformed",
                field=exc.field or "payload",
                device=env.device,
            ) from None
        except rfc8785.CanonicalizationError as exc:  # NaN, Infinity, integers beyond 2^53
            raise Rejected(
                f"envelope has no RFC 8785 form, so no signature can cover it: {exc}",
                code="malformed",
                field="payload",
                device=env.device,
            ) from None
        if signed is None:
            raise Rejected(
                f"signature of {env.device}/{env.seq} does not verify",
                code="bad_signature",
                field="sig",
                device=env.device,
            )
        try:
            sent = env.sent_at_datetime()
        except ValueError:
            raise Rejected(
                f"sent_at {env.sent_at!r} is not a valid time",
                code="malformed",
                field="sent_at",
                device=env.device,
            ) from None
        if sent > received_at + self.skew:
            raise Rejected(
                f"sent_at {env.sent_at} is beyond the allowed clock skew",
                code="clock_skew",
                field="sent_at",
                device=env.device,
            )
        digest = hashlib.sha256(signed).hexdigest()
        try:  # a reader envelope's events are derived here, from the bytes that verified
            events = env.events
        except ReaderError as exc:
            raise Rejected(exc.message, code=exc.code, field=exc.field, device=env.device) from None
        prepared = self.preparer.prepare(events, device=info, received_at=received_at)
        return Accepted(
            topic, payload, env, info, key.key_id, digest, prepared, received_at, signed=signed
        )
