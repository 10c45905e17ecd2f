"""The signed device envelope (docs/protocol.md §3), checked at construction.

``Envelope.from_json`` follows these steps and raises :class:`EnvelopeError` with the reason
code of the first that fails:

1. size ≤ the limit                                   -> ``oversize``
2. UTF-8 JSON object (RFC 8259: ``NaN``, ``Infinity`` and ``-Infinity`` are refused, the
   member and constant named)                        -> ``malformed``
3. ``v`` is 1; ``device``, ``key``, ``seq``, ``sent_at``, ``sig`` are strings of the right
   shape; exactly one of ``events`` (a non-empty list of objects) and ``reader``; ``reply_to``
   absent or a topic string; no other members         -> ``malformed`` (field and value named)
4. ``reader``: a known ``format``, a valid ``config``, ``messages`` a non-empty list of
   objects (:func:`traceability.readers.check_reader`) -> ``reader_invalid``

Signature verification needs the device's key, so it is a separate step
(:func:`verify_signature`), done by the gateway after the key lookup. The events of a reader
envelope are derived from its ``reader`` member on first use of :attr:`Envelope.events`
(:func:`traceability.readers.derive_member_events`, which raises ``ReaderError``,
``reader_invalid``, for a malformed message); the gateway does so after the signature check.
:func:`body_events` gives the events of a stored envelope body (the audit, receipts).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from traceability.errors import InvalidInputError
from traceability.readers.derive import check_reader, derive_member_events
from traceability.readers.errors import ReaderError
from traceability.signing import ed25519 as signing
from traceability.strict_json import NonFiniteNumberError
from traceability.strict_json import loads as strict_loads

ENVELOPE_VERSION = 1
DEFAULT_MAX_BYTES = 256 * 1024
_DEVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SEQ_RE = re.compile(r"^(0|[1-9][0-9]{0,19})$")
_B64URL_SIG_RE = re.compile(r"^[A-Za-z0-9_-]{86}$")
_ALLOWED = frozenset(
    {"v", "device", "key", "seq", "sent_at", "events", "reader", "reply_to", "sig"}
)


class EnvelopeError(InvalidInputError):
    """An envelope that can never be accepted; ``code`` is a reason code (docs/protocol.md §5)."""

    code = "malformed"


@dataclass(frozen=True, slots=True)
class Envelope:
    """A checked envelope: ``signed_events`` (the ``events`` member) or ``reader`` (the raw
    ``reader`` member, as signed) is set, never both; :attr:`events` are the events either way."""

    device: str
    key: str
    seq: str
    sent_at: str
    signed_events: list[dict[str, Any]] | None
    sig: bytes
    reply_to: str | None = None
    raw: bytes = field(default=b"", repr=False, compare=False)
    reader: dict[str, Any] | None = None
    _derived: list[dict[str, Any]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def events(self) -> list[dict[str, Any]]:
        """The signed events, or those derived from ``reader`` (once; the same list after)."""
        if self.signed_events is not None:
            return self.signed_events
        if self._derived is None:
            object.__setattr__(self, "_derived", derive_member_events(member=self.reader))
        assert self._derived is not None
        return self._derived

    @property
    def kind(self) -> str:
        """The topic kind the envelope belongs on: ``events`` or ``reader``."""
        return "events" if self.reader is None else "reader"

    @classmethod
    def from_json(cls, payload: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Envelope:
        # Step 1: size.
        if len(payload) > max_bytes:
            raise EnvelopeError(
                f"envelope is {len(payload)} bytes, limit is {max_bytes}",
                code="oversize",
                field="payload",
                value=len(payload),
            )
        # Step 2: UTF-8 JSON object.
        try:
            doc = strict_loads(payload.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise EnvelopeError(
                f"payload is not UTF-8: {exc.reason} at byte {exc.start}",
                field="payload",
                value=exc.start,
            ) from None
        except NonFiniteNumberError as exc:  # a forged null -> NaN must never verify
            raise EnvelopeError(
                exc.message, field=exc.field or "payload", value=exc.value
            ) from None
        except json.JSONDecodeError as exc:
            raise EnvelopeError(
                f"payload is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                field="payload",
                value=exc.pos,
            ) from None
        except RecursionError:
            raise EnvelopeError("payload JSON nests too deeply", field="payload") from None
        if not isinstance(doc, dict):
            raise EnvelopeError(
                f"envelope must be a JSON object, got {type(doc).__name__}",
                field="payload",
                value=type(doc).__name__,
            )
        return cls.from_dict(doc, raw=payload)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], *, raw: bytes = b"") -> Envelope:
        # Step 3: members and their shapes.
        extra = sorted(set(doc) - _ALLOWED)
        if extra:
            raise EnvelopeError(f"unexpected envelope member {extra[0]!r}", field=extra[0])
        if doc.get("v") != ENVELOPE_VERSION or isinstance(doc.get("v"), bool):
            raise EnvelopeError(
                f"envelope version must be {ENVELOPE_VERSION}, got {doc.get('v')!r}",
                field="v",
                value=_short(doc.get("v")),
            )
        device = _string(doc, "device", _DEVICE_RE, "1-64 characters [A-Za-z0-9_.-]")
        key = _string(doc, "key", re.compile(r"^[\x21-\x7e]{1,64}$"), "a key id")
        seq = _string(doc, "seq", _SEQ_RE, "a decimal string without leading zeros")
        sent_at = _string(
            doc,
            "sent_at",
            re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$"),
            "an RFC 3339 timestamp",
        )
        sig_text = _string(doc, "sig", _B64URL_SIG_RE, "86 characters of base64url (64 bytes)")
        events, reader = _body(doc)
        reply_to = doc.get("reply_to")
        if reply_to is not None and (
            not isinstance(reply_to, str) or not reply_to or any(c in reply_to for c in "+#\x00")
        ):
            raise EnvelopeError(
                "reply_to must be a topic name without wildcards",
                field="reply_to",
                value=_short(reply_to),
            )
        return cls(
            device=device,
            key=key,
            seq=seq,
            sent_at=sent_at,
            signed_events=events,
            sig=signing.b64url_decode(sig_text),
            reply_to=reply_to,
            raw=raw,
            reader=reader,
        )

    def unsigned(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "v": ENVELOPE_VERSION,
            "device": self.device,
            "key": self.key,
            "seq": self.seq,
            "sent_at": self.sent_at,
        }
        if self.reader is not None:
            doc["reader"] = self.reader
        else:
            doc["events"] = self.signed_events
        if self.reply_to is not None:
            doc["reply_to"] = self.reply_to
        return doc

    def signing_bytes(self) -> bytes:
        """RFC 8785 canonical bytes of the envelope without ``sig``: what ``sig`` signs."""
        return signing.canonical(self.unsigned())

    def digest(self) -> str:
        """SHA-256 (hex) of the signing bytes: identifies the content of (device, seq)."""
        return hashlib.sha256(self.signing_bytes()).hexdigest()

    def sent_at_datetime(self) -> datetime:
        return datetime.fromisoformat(self.sent_at.replace("Z", "+00:00")).astimezone(UTC)


def verify_signature(envelope: Envelope, *, public_key: bytes) -> None:
    """Raise ``BadSignatureError`` unless ``sig`` verifies over the canonical bytes."""
    signing.verify_or_raise(
        public_key=public_key,
        message=envelope.signing_bytes(),
        signature=envelope.sig,
        what=f"envelope {envelope.device}/{envelope.seq}",
    )


def build(
    *,
    device: str,
    key_id: str,
    seed: bytes,
    seq: int | str,
    events: list[dict[str, Any]] | None = None,
    reader: dict[str, Any] | None = None,
    reply_to: str | None = None,
    sent_at: datetime | None = None,
) -> bytes:
    """Sign and serialise an envelope of ``events`` or of a ``reader`` member (exactly one);
    returns the UTF-8 JSON payload to publish."""
    if (events is None) == (reader is None):
        raise EnvelopeError("give exactly one of events and reader", field="events")
    when = (sent_at or datetime.now(UTC)).astimezone(UTC)
    doc: dict[str, Any] = {
        "v": ENVELOPE_VERSION,
        "device": device,
        "key": key_id,
        "seq": str(seq),
        "sent_at": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
    }
    if reader is not None:
        doc["reader"] = reader
    else:
        doc["events"] = events
    if reply_to is not None:
        doc["reply_to"] = reply_to
    doc["sig"] = signing.b64url(signing.sign(seed=seed, message=signing.canonical(doc)))
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _body(doc: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """Exactly one of ``events`` and ``reader``, checked (steps 3 and 4)."""
    if ("events" in doc) == ("reader" in doc):
        raise EnvelopeError(
            "an envelope carries exactly one of events and reader",
            field="events",
            value="both" if "events" in doc else "neither",
        )
    if "reader" in doc:
        try:
            check_reader(member=doc["reader"])
        except ReaderError as exc:
            raise EnvelopeError(
                exc.message, code=exc.code, field=exc.field, value=exc.value
            ) from None
        return None, doc["reader"]
    events = doc["events"]
    if not isinstance(events, list) or not events:
        raise EnvelopeError("events must be a non-empty list", field="events", value=_short(events))
    for i, ev in enumerate(events):
        if not isinstance(ev, dict):
            raise EnvelopeError(
                f"events[{i}] must be an object", field=f"events[{i}]", value=_short(ev)
            )
    return events, None


def body_events(body: bytes | dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a stored envelope body (its unsigned canonical bytes): the ``events``
    member, or the events derived from its ``reader`` member (``ReaderError`` when they
    cannot be). What the audit and the receipt verifier compare the records with."""
    doc = strict_loads(body) if isinstance(body, bytes) else body
    if not isinstance(doc, dict):
        raise EnvelopeError("an envelope body is a JSON object", field="body")
    if doc.get("reader") is not None:
        return derive_member_events(member=doc["reader"])
    events = doc.get("events", [])
    return events if isinstance(events, list) else []


def _string(doc: dict[str, Any], name: str, pattern: re.Pattern[str], expected: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not pattern.match(value):
        raise EnvelopeError(
            f"{name} must be {expected}, got {_short(value)!r}", field=name, value=_short(value)
        )
    return value


def _short(value: Any) -> Any:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
