"""The offline verifier: a receipt, the log's key (and witness keys) in, a verdict out.

It imports no database, web or broker library (a test runs it with SQLAlchemy, FastAPI,
Starlette, paho and psycopg blocked): an auditor or a consumer needs only this module, the log
key and the receipt. What it checks, in order (:func:`verify_receipt`):

1. the receipt's layout (c2sp.org/tlog-proof@v1): ``c2sp.org/tlog-proof@v1``, ``extra
   <base64>``, ``index N`` (decimal, no leading zeroes), the inclusion proof's base64 hashes,
   a blank line, the checkpoint note;
2. the checkpoint (:func:`verify_checkpoint`): signed by the log key, its origin the key's
   name, cosigned by every given witness key (cosignature/v1);
3. ``extra``: RFC 8785 JSON ``{"record", "envelope", "key": {"index", "record", "proof"}}``;
4. the record's inclusion at ``index`` in the checkpoint's tree, and that it is an event record
   for that index;
5. the envelope: its SHA-256 is the record's ``envelope``;
6. the key entry's inclusion in the same tree, that it registers the record's key for its
   device, before the record;
7. the device signature over the envelope, and the CBV 2.0 hash of the event at ``pos`` in it
   (for a reader envelope: the event its ``reader`` member derives) equal to the record's.

Every base64 value must be canonical (padding present, padding bits zero): a receipt has one
spelling. Anything malformed or not verifying raises :class:`ReceiptError` (its ``code``
``bad_note`` / ``bad_proof`` when the checkpoint note or a Merkle proof is at fault); no other
exception escapes. Consistency proofs between two checkpoints: :func:`verify_consistency`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from traceability import strict_json
from traceability.errors import TraceError
from traceability.events import event_hash
from traceability.ledger import merkle, note, records
from traceability.ledger.checkpoint_note import Checkpoint, parse
from traceability.ledger.errors import NoteError, ProofError, ReceiptError
from traceability.signing.ed25519 import key_id, verify
from traceability.signing.envelope import body_events

__all__ = [
    "HEADER",
    "ReceiptResult",
    "verify_checkpoint",
    "verify_consistency",
    "verify_receipt",
]

HEADER = "c2sp.org/tlog-proof@v1"
_MALFORMED = (
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
    UnicodeError,
)


@dataclass(frozen=True, slots=True)
class ReceiptResult:
    index: int
    size: int
    origin: str
    record: dict[str, Any]
    event: dict[str, Any]
    witnesses: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": True,
            "index": self.index,
            "tree_size": self.size,
            "origin": self.origin,
            "event_hash": self.record.get("event_hash"),
            "device": self.record.get("device"),
            "recorded_at": self.record.get("recorded_at"),
            "witnesses": self.witnesses,
            "event": self.event,
        }


def _b64(value: Any, what: str) -> bytes:
    """Canonical standard base64 (RFC 4648 §4, padded, padding bits zero)."""
    if isinstance(value, str) and value.isascii():
        try:
            raw = base64.b64decode(value, validate=True)
        except ValueError:
            pass
        else:
            if base64.b64encode(raw).decode() == value:
                return raw
    raise ReceiptError(f"{what} is not canonical base64", field=what, computed=str(value)[:100])


def _b64url(value: Any, what: str) -> bytes:
    """Canonical unpadded base64url (the device signature in a record)."""
    if isinstance(value, str) and value.isascii() and "=" not in value:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except ValueError:
            pass
        else:
            if base64.urlsafe_b64encode(raw).decode().rstrip("=") == value:
                return raw
    raise ReceiptError(f"{what} is not canonical base64url", field=what, computed=str(value)[:100])


def verify_checkpoint(
    cp_note: str, *, log_key: str, witness_keys: Sequence[str] = ()
) -> tuple[Checkpoint, list[str]]:
    """The checkpoint in ``cp_note`` and the names of the witnesses that cosigned it, when the
    log key signed it and every witness key cosigned it; NoteError otherwise."""
    log = note.Verifier.parse(log_key)
    if log.alg != note.ED25519:
        raise ReceiptError("the log key must be an Ed25519 (type 0x01) key", field="log_key")
    note.verified_by(cp_note, log)
    cp = parse(cp_note)
    if cp.origin != log.name:
        raise ReceiptError(
            "checkpoint origin is not the log key's name",
            field="origin",
            expected=log.name,
            computed=cp.origin,
        )
    names = []
    for wk in witness_keys:
        w = note.Verifier.parse(wk)
        if w.alg != note.COSIGNATURE_V1:  # else the log's own signature would count
            raise ReceiptError(
                f"witness key {w.name} is not a cosignature/v1 (type 0x04) key",
                field="witness_key",
            )
        note.verified_by(cp_note, w)
        names.append(w.name)
    return cp, names


def verify_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """ProofError unless ``proof`` shows ``new`` extends ``old`` (RFC 9162 §2.1.4.2)."""
    merkle.verify_consistency(old.size, new.size, old.root, new.root, list(proof))


def verify_receipt(text: str, *, log_key: str, witness_keys: Sequence[str] = ()) -> ReceiptResult:
    """Verify a receipt offline (see the module doc); raises :class:`ReceiptError` only."""
    try:
        return _verify(text, log_key, witness_keys)
    except ReceiptError:
        raise
    except (NoteError, ProofError) as exc:
        raise ReceiptError(
            exc.message,
            code=exc.code,
            field=exc.field,
            expected=exc.expected,
            computed=exc.computed,
            index=exc.index,
        ) from None
    except TraceError as exc:
        raise ReceiptError(f"malformed receipt: {exc.message}", field=exc.field) from None
    except _MALFORMED as exc:  # a shape no check above foresaw: still a receipt error
        raise ReceiptError(f"malformed receipt ({type(exc).__name__})", field="receipt") from None


def _layout(text: str) -> tuple[int, list[bytes], dict[str, Any], str]:
    if not isinstance(text, str):
        raise ReceiptError("a receipt is text", field="receipt")
    head, sep, cp_note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) < 3 or lines[0] != HEADER or not lines[1].startswith("extra "):
        raise ReceiptError("not a c2sp.org/tlog-proof@v1 receipt with extra data", field="receipt")
    digits = lines[2][6:]  # tlog-proof: an ASCII decimal with no leading zeroes
    if not lines[2].startswith("index ") or not (digits.isascii() and digits.isdigit()):
        raise ReceiptError("missing index line", field="index")
    if (digits != "0" and digits.startswith("0")) or len(digits) > 19:
        raise ReceiptError("index has leading zeroes or is too large", field="index")
    proof = [_b64(x, "proof") for x in lines[3:]]
    try:
        extra = strict_json.loads(_b64(lines[1][6:], "extra"))
    except (TraceError, ValueError, RecursionError) as exc:
        why = exc.message if isinstance(exc, TraceError) else type(exc).__name__
        raise ReceiptError(f"extra data is not JSON: {why}", field="extra") from None
    key = extra.get("key") if isinstance(extra, dict) else None
    if (
        not isinstance(extra, dict)
        or not isinstance(key, dict)
        or type(key.get("index")) is not int
        or not isinstance(key.get("proof"), list)
    ):
        raise ReceiptError(
            'extra data is not {"record", "envelope", "key": {"index", "record", "proof"}}',
            field="extra",
        )
    return int(digits), proof, extra, cp_note


def _record(data: bytes, what: str) -> dict[str, Any]:
    try:
        return records.parse_record(data)
    except (TraceError, ValueError, RecursionError):
        raise ReceiptError(f"the {what} is not a JSON object", field=what) from None


def _verify(text: str, log_key: str, witness_keys: Sequence[str]) -> ReceiptResult:
    index, proof, extra, cp_note = _layout(text)
    cp, witnesses = verify_checkpoint(cp_note, log_key=log_key, witness_keys=witness_keys)
    data = _b64(extra.get("record"), "record")
    merkle.verify_inclusion(index, cp.size, merkle.leaf_hash(data), proof, cp.root)
    rec = _record(data, "record")
    if rec.get("index") != index or rec.get("kind") != records.EVENT_KIND:
        raise ReceiptError("record does not match the index", field="index", index=index)
    env = _b64(extra.get("envelope"), "envelope")
    if hashlib.sha256(env).hexdigest() != rec.get("envelope"):
        raise ReceiptError("envelope does not match the record", field="envelope", index=index)
    k = extra["key"]
    kidx, kdata = k["index"], _b64(k.get("record"), "key record")
    kproof = [_b64(p, "key proof") for p in k["proof"]]
    merkle.verify_inclusion(kidx, cp.size, merkle.leaf_hash(kdata), kproof, cp.root)
    kbody = _record(kdata, "key record").get("body")
    kbody = kbody if isinstance(kbody, dict) else {}
    pub = _b64(kbody.get("public_key", ""), "public_key")
    if (
        kbody.get("key_id") != rec.get("key")
        or key_id(pub) != rec.get("key")
        or kbody.get("device") != rec.get("device")
        or kidx >= index
    ):
        raise ReceiptError("key entry does not register the record's key", field="key", index=index)
    sig = _b64url(rec.get("sig"), "sig")
    if not verify(public_key=pub, message=env, signature=sig):
        raise ReceiptError(
            "device signature does not verify", code="bad_signature", field="sig", index=index
        )
    try:
        events = body_events(env)
    except TraceError as exc:
        raise ReceiptError(
            f"the envelope's events cannot be derived: {exc.message}", field="envelope", index=index
        ) from None
    pos = rec.get("pos")
    if type(pos) is not int or not 0 <= pos < len(events):
        raise ReceiptError("event position outside the envelope", field="pos", index=index)
    try:
        computed = event_hash(events[pos])
    except Exception as exc:  # a signed event the hash cannot be computed from: not verified
        raise ReceiptError(
            f"the event's hash cannot be computed: {type(exc).__name__}",
            field="event_hash",
            index=index,
        ) from None
    if computed != rec.get("event_hash"):
        raise ReceiptError(
            "the envelope's event does not have the recorded event hash",
            field="event_hash",
            expected=rec.get("event_hash"),
            computed=computed,
            index=index,
        )
    return ReceiptResult(index, cp.size, cp.origin, rec, events[pos], witnesses)
