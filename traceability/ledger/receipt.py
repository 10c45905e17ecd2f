"""Offline receipts: c2sp.org/tlog-proof@v1 files that prove one custody record.

Layout: ``c2sp.org/tlog-proof@v1``, ``extra <base64>``, ``index N``, the base64 inclusion proof
hashes, a blank line, then the checkpoint note with its signatures and cosignatures.

``extra`` is base64 of RFC 8785 JSON ``{"record": b64(leaf bytes), "envelope": b64(the envelope's
unsigned canonical bytes), "key": {"index": i, "record": b64(key entry), "proof": [b64...]}}``:
the record itself, what the device signed, and the ledger entry that registered the device key
with its inclusion proof in the same checkpoint. Verifying one needs no database and no network:
:func:`verify_receipt` lives in :mod:`traceability.ledger.verify_offline` (which imports no
database or web library) and is re-exported here.
"""

from __future__ import annotations

import base64

import sqlalchemy as sa
from sqlmodel import Session

from traceability.ledger import checkpoint, note, records, store
from traceability.ledger.errors import ReceiptError
from traceability.ledger.verify_offline import HEADER, ReceiptResult, verify_receipt
from traceability.signing.ed25519 import canonical

__all__ = ["HEADER", "ReceiptResult", "build_receipt", "verify_receipt"]


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
