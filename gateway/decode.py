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
and words the error); the signed bytes are orjson's sorted-key compact form only where that is
provably RFC 8785 (no exponent or integral float, no integer beyond 2^53, no character beyond
U+FFFF), else true JCS (``rfc8785``). Neither path reads or writes ``NaN`` / ``Infinity``:
orjson refuses them and
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
import re
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
from traceability.events.timing import TimeRule
from traceability.readers.errors import ReaderError
from traceability.signing.ed25519 import canonical
from traceability.signing.envelope import Envelope, EnvelopeError
from traceability.strict_json import (
    NonFiniteNumberError,
    UnstorableValueError,
    check_finite,
    check_storable,
)

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


# orjson's sorted-key compact bytes differ from RFC 8785 only for: a float written with an
# exponent ("1e+16": JCS "10000000000000000") or integral ("4.0", "-0.0": JCS "4", "0"), an
# integer beyond 2^53 (orjson writes it, JCS has no form: OPT_STRICT_INTEGER refuses it), and
# the order of member names with characters beyond U+FFFF (code points vs UTF-16 units; any
# 4-byte UTF-8 sequence sends the envelope to the reference). Every other float orjson writes
# in plain decimal with the shortest round-trip digits, as ECMAScript does in that range; the
# string escapes are the same (tests/unit/gateway/test_decode_jcs.py cross-checks all of it).
# A number token ends at ',' '}' or ']' in compact output (a string ends at '"'); orjson
# writes every exponent with a sign ("1e+16", "1e-7"). A string that looks like a number only
# costs the reference path. Literal searches first: sre scans character classes slowly.
_INTEGRAL = re.compile(rb"\.0[,}\]]")
_EXPONENT = re.compile(rb"e[-+][0-9]+[,}\]]")
_BELOW_F0 = bytes(range(0xF0))  # deleted, what is left starts a 4-byte UTF-8 sequence


def _maybe_not_jcs(out: bytes) -> bool:
    if _INTEGRAL.search(out) is not None:
        return True
    if (b"e+" in out or b"e-" in out) and _EXPONENT.search(out) is not None:
        return True
    return bool(out.translate(None, _BELOW_F0))


def fast_signing_bytes(env: Envelope) -> bytes | None:
    """RFC 8785 bytes of the unsigned envelope by orjson, or ``None`` where orjson's sorted-key
    compact form is not provably the same (then only the reference may be used).

    orjson writes NaN and ±Infinity as ``null``: when the output has a ``null``, the envelope
    is checked and a non-finite float raises :class:`NonFiniteNumberError` (no JSON form)."""
    unsigned = env.unsigned()
    try:
        out = orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
    except (orjson.JSONEncodeError, TypeError):
        return None
    if b"null" in out:
        check_finite(unsigned)
    if _maybe_not_jcs(out):
        return None
    return out


# What may hold a value no store keeps exactly although orjson reads it: an escaped U+0000, a
# number of 19 or more digits (beyond int64; orjson reads one beyond 2^64 as a float), a number
# that underflows to 0.0 (1e-400: orjson reads 0.0, strict_json a TinyNumber). orjson
# itself refuses lone surrogates and numbers that overflow a double (1e400).
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))  # digit -> "0"
_LONG_RUN = b"0" * 19


# a number with an exponent below -99 may underflow to 0.0 (1e-400), which orjson reads as 0.0
_TINY = re.compile(rb"[0-9.][eE]-0*[0-9]{3}")


def _suspect(payload: bytes) -> bool:
    """Whether ``payload`` may hold such a value (two C-speed scans; a regex for the digit run
    costs 3-6 times as much on digit-rich events; the exponent regex runs only on payloads
    with an ``e-``)."""
    return (
        b"\\u0000" in payload
        or _LONG_RUN in payload.translate(_DIGITS)
        or ((b"e-" in payload or b"E-" in payload) and _TINY.search(payload) is not None)
    )


def parse_envelope(payload: bytes, *, max_bytes: int) -> Envelope:
    """:meth:`Envelope.from_json`, parsing with orjson when it can (same result, same errors).

    Refuses (``unstorable_value``, the member and value named) what the store cannot hold:
    U+0000 or a lone surrogate in any string or member name, a non-finite number, an integer
    outside int64 (:func:`~traceability.strict_json.check_storable`). A payload that orjson did
    not parse, or whose bytes may hold such a value (:func:`_suspect`), is parsed exactly and
    checked whole; the rest costs one byte scan."""
    if len(payload) <= max_bytes and not _suspect(payload):
        try:
            doc = orjson.loads(payload)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, dict):
            return Envelope.from_dict(doc, raw=payload)
    env = Envelope.from_json(payload, max_bytes=max_bytes)
    try:
        check_storable(env.unsigned())
    except UnstorableValueError as exc:
        raise EnvelopeError(
            exc.message, code=exc.code, field=exc.field or "payload", value=exc.value
        ) from None
    return env


def verify_envelope(env: Envelope, public_key: bytes) -> bytes | None:
    """The RFC 8785 bytes ``sig`` verified over, or ``None``: by orjson where that provably
    gives the same bytes (:func:`fast_signing_bytes`), else by the reference ``rfc8785``. A
    signature over any other bytes (orjson's ``4.0``, an integer beyond 2^53) never verifies."""
    message = fast_signing_bytes(env)
    if message is None:
        message = canonical(env.unsigned())
    return message if _verify(public_key, message, env.sig) else None


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
        time_rule: TimeRule | None = None,
    ) -> None:
        self.keys = keys
        self.max_payload = max_payload
        self.skew = timedelta(seconds=clock_skew_s)
        self.preparer = EventPreparer(clock_skew_s=clock_skew_s, time_rule=time_rule)
        self.times = self.preparer.times  # one rule for sent_at and eventTime (events.timing)
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
        sent, problem = self.times.check(env.sent_at, field="sent_at", now=received_at)
        if problem is not None:
            raise Rejected(problem.message, code=problem.code, field="sent_at", device=env.device)
        if sent is None:
            raise Rejected(
                f"sent_at {env.sent_at!r} is not a valid time",
                code="malformed",
                field="sent_at",
                device=env.device,
            )
        digest = hashlib.sha256(signed).hexdigest()
        try:  # a reader envelope's events are derived here, from the bytes that verified
            events = env.events
        except ReaderError as exc:
            raise Rejected(exc.message, code=exc.code, field=exc.field, device=env.device) from None
        prepared = self.preparer.prepare(events, device=info, received_at=received_at, sent_at=sent)
        return Accepted(
            topic, payload, env, info, key.key_id, digest, prepared, received_at, signed=signed
        )
