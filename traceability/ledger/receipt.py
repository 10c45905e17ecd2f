"""Offline receipts: c2sp.org/tlog-proof@v1 files that prove one custody record.

Layout: ``c2sp.org/tlog-proof@v1``, ``extra <base64>``, ``index N``, the base64 inclusion proof
hashes, a blank line, then the checkpoint note with its signatures and cosignatures.

``extra`` is base64 of RFC 8785 JSON ``{"record": b64(leaf bytes), "envelope": b64(the envelope's
unsigned canonical bytes), "key": {"index": i, "record": b64(key entry), "proof": [b64...]}}``:
the record itself, what the device signed, and the ledger entry that registered the device key
with its inclusion proof in the same checkpoint. :func:`verify_receipt` needs no database and
no network: leaf hash, inclusion, checkpoint signature, cosignatures, the envelope digest, the
key entry's inclusion, the device signature over the envelope holding the event, and the CBV
2.0 hash of the event at ``pos`` in it -- for a reader envelope (raw reader JSON), the event
its ``reader`` member derives (:func:`traceability.signing.envelope.body_events`).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability import strict_json
from traceability.errors import TraceError
from traceability.events import event_hash
from traceability.ledger import checkpoint, merkle, note, records, store
from traceability.ledger.errors import ReceiptError
from traceability.signing.ed25519 import b64url_decode, canonical, key_id, verify
from traceability.signing.envelope import body_events

HEADER = "c2sp.org/tlog-proof@v1"


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def build_receipt(
    session: Session,
    *,
    event_hash: str,
    cp: checkpoint.Checkpoint | None = None,
    witnesses: list[note.Verifier] | None = None,
) -> str:
    """The receipt of event ``event_hash`` against ``cp`` (default: the latest checkpoint, with
    the cosignatures that verify by ``witnesses`` when given)."""
    entry = store.entry_for_event(session, event_hash=event_hash)
    cp = cp or checkpoint.latest_checkpoint(session, witnesses=witnesses)
    if entry.idx >= cp.size:
        raise ReceiptError(
            f"entry {entry.idx} is not yet in a checkpoint (size {cp.size})",
            code="not_checkpointed",
            field="checkpoint",
            index=entry.idx,
        )
    rec = records.parse_record(bytes(entry.record))
    env = (
        session.connection()
        .execute(
            sa.text("select body from ledger_envelope where digest = :d"), {"d": entry.envelope}
        )
        .scalar()
    )
    key_idx = _key_entry(session, str(rec["key"]), entry.idx)
    key_row = store.get_record(session, index=key_idx)
    extra = canonical(
        {
            "record": _b64(bytes(entry.record)),
            "envelope": _b64(bytes(env or b"")),
            "key": {
                "index": key_idx,
                "record": _b64(bytes(key_row.record)),
                "proof": [
                    _b64(p) for p in store.inclusion_proof(session, index=key_idx, size=cp.size)
                ],
            },
        }
    )
    proof = store.inclusion_proof(session, index=entry.idx, size=cp.size)
    lines = [HEADER, f"extra {_b64(extra)}", f"index {entry.idx}", *map(_b64, proof), ""]
    return "\n".join(lines) + "\n" + cp.note


def _key_entry(session: Session, kid: str, before: int) -> int:
    rows = session.connection().execute(
        sa.text(
            "select idx, record from ledger_entry where kind in ('key.register', 'key.rotate') "
            "and idx < :b order by idx desc"
        ),
        {"b": before},
    )
    for idx, data in rows:
        if records.parse_record(bytes(data)).get("body", {}).get("key_id") == kid:
            return int(idx)
    raise ReceiptError(f"no ledger entry registers key {kid}", field="key", index=before)


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


def verify_receipt(
    text: str, *, log_key: str, witness_keys: list[str] | tuple[str, ...] = ()
) -> ReceiptResult:
    """Verify a receipt offline; raises :class:`ReceiptError` (or a note/proof error)."""
    head, sep, cp_note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) < 3 or lines[0] != HEADER or not lines[1].startswith("extra "):
        raise ReceiptError("not a c2sp.org/tlog-proof@v1 receipt with extra data", field="receipt")
    digits = lines[2][6:]  # tlog-proof: an ASCII decimal with no leading zeroes
    if not lines[2].startswith("index ") or not (digits.isascii() and digits.isdigit()):
        raise ReceiptError("missing index line", field="index")
    if digits != "0" and digits.startswith("0"):
        raise ReceiptError("index has leading zeroes", field="index")
    index = int(lines[2][6:])
    proof = [base64.b64decode(x, validate=True) for x in lines[3:]]
    try:
        extra = strict_json.loads(base64.b64decode(lines[1][6:], validate=True))
    except strict_json.NonFiniteNumberError as exc:
        raise ReceiptError(
            f"extra data: {exc.message}", field="extra", computed=exc.value
        ) from None
    log = note.Verifier.parse(log_key)
    if log.alg != note.ED25519:
        raise ReceiptError("the log key must be an Ed25519 (type 0x01) key", field="log_key")
    note.verified_by(cp_note, log)
    cp = checkpoint.parse(cp_note)
    if cp.origin != log.name:
        raise ReceiptError(
            "checkpoint origin is not the log key's name",
            field="origin",
            expected=log.name,
            computed=cp.origin,
        )
    witnesses = []
    for wk in witness_keys:
        w = note.Verifier.parse(wk)
        if w.alg != note.COSIGNATURE_V1:  # else the log's own signature would count
            raise ReceiptError(
                f"witness key {w.name} is not a cosignature/v1 (type 0x04) key",
                field="witness_key",
            )
        note.verified_by(cp_note, w)
        witnesses.append(w.name)
    data = base64.b64decode(extra["record"])
    merkle.verify_inclusion(index, cp.size, merkle.leaf_hash(data), proof, cp.root)
    rec = records.parse_record(data)
    if rec.get("index") != index or rec.get("kind") != records.EVENT_KIND:
        raise ReceiptError("record does not match the index", field="index", index=index)
    env = base64.b64decode(extra["envelope"])
    if hashlib.sha256(env).hexdigest() != rec.get("envelope"):
        raise ReceiptError("envelope does not match the record", field="envelope", index=index)
    k = extra["key"]
    kdata = base64.b64decode(k["record"])
    merkle.verify_inclusion(
        int(k["index"]),
        cp.size,
        merkle.leaf_hash(kdata),
        [base64.b64decode(p) for p in k["proof"]],
        cp.root,
    )
    kbody = records.parse_record(kdata).get("body", {})
    pub = base64.b64decode(kbody.get("public_key", ""))
    if (
        kbody.get("key_id") != rec.get("key")
        or key_id(pub) != rec.get("key")
        or kbody.get("device") != rec.get("device")
        or int(k["index"]) >= index
    ):
        raise ReceiptError("key entry does not register the record's key", field="key", index=index)
    if not verify(public_key=pub, message=env, signature=b64url_decode(str(rec.get("sig")))):
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
    if not isinstance(pos, int) or not 0 <= pos < len(events):
        raise ReceiptError("event position outside the envelope", field="pos", index=index)
    computed = event_hash(events[pos])
    if computed != rec.get("event_hash"):
        raise ReceiptError(
            "the envelope's event does not have the recorded event hash",
            field="event_hash",
            expected=rec.get("event_hash"),
            computed=computed,
            index=index,
        )
    return ReceiptResult(index, cp.size, cp.origin, rec, events[pos], witnesses)
