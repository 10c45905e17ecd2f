"""The signed device envelope of DESIGN.md §3, checked at construction.

``Envelope.from_json`` follows these steps and raises :class:`EnvelopeError` with the reason
code of the first that fails:

1. size ≤ the limit                                   -> ``oversize``
2. UTF-8 JSON object                                  -> ``malformed``
3. ``v`` is 1; ``device``, ``key``, ``seq``, ``sent_at``, ``sig`` are strings of the right
   shape; ``events`` a non-empty list of objects; ``reply_to`` absent or a topic string;
   no other members                                   -> ``malformed`` (field and value named)

Signature verification needs the device's key, so it is a separate step
(:func:`verify_signature`), done by the gateway after the key lookup.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from traceability.errors import InvalidInputError
from traceability.signing import service as signing

ENVELOPE_VERSION = 1
DEFAULT_MAX_BYTES = 256 * 1024
_DEVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SEQ_RE = re.compile(r"^(0|[1-9][0-9]{0,19})$")
_B64URL_SIG_RE = re.compile(r"^[A-Za-z0-9_-]{86}$")
_ALLOWED = frozenset({"v", "device", "key", "seq", "sent_at", "events", "reply_to", "sig"})


class EnvelopeError(InvalidInputError):
    """An envelope that can never be accepted; ``code`` is a DESIGN.md §3 reason code."""

    code = "malformed"


@dataclass(frozen=True, slots=True)
class Envelope:
    device: str
    key: str
    seq: str
    sent_at: str
    events: list[dict[str, Any]]
    sig: bytes
    reply_to: str | None = None
    raw: bytes = field(default=b"", repr=False, compare=False)

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
            doc = json.loads(payload.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise EnvelopeError(
                f"payload is not UTF-8: {exc.reason} at byte {exc.start}",
                field="payload",
                value=exc.start,
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
        events = doc.get("events")
        if not isinstance(events, list) or not events:
            raise EnvelopeError(
                "events must be a non-empty list", field="events", value=_short(events)
            )
        for i, ev in enumerate(events):
            if not isinstance(ev, dict):
                raise EnvelopeError(
                    f"events[{i}] must be an object", field=f"events[{i}]", value=_short(ev)
                )
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
            events=events,
            sig=signing.b64url_decode(sig_text),
            reply_to=reply_to,
            raw=raw,
        )

    def unsigned(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "v": ENVELOPE_VERSION,
            "device": self.device,
            "key": self.key,
            "seq": self.seq,
            "sent_at": self.sent_at,
            "events": self.events,
        }
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
    events: list[dict[str, Any]],
    reply_to: str | None = None,
    sent_at: datetime | None = None,
) -> bytes:
    """Sign and serialise an envelope; returns the UTF-8 JSON payload to publish."""
    when = (sent_at or datetime.now(UTC)).astimezone(UTC)
    doc: dict[str, Any] = {
        "v": ENVELOPE_VERSION,
        "device": device,
        "key": key_id,
        "seq": str(seq),
        "sent_at": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
        "events": events,
    }
    if reply_to is not None:
        doc["reply_to"] = reply_to
    doc["sig"] = signing.b64url(signing.sign(seed=seed, message=signing.canonical(doc)))
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


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
