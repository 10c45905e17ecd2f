"""Registry rows that carry authority, ledgered: one platform-signed entry per change.

Three kinds of ledger entry (non-event entries, like ``key.register``)::

    registry.device   subject = device id  fields = {location_id, party_id, status}
    registry.product  subject = GTIN       fields = {party_id}            (the product's owner)
    registry.party    subject = party id   fields = {credit_status}       (serious-violation flag)

The entry's body is ``{"by", "fields", "key", "subject", "sig"}`` (plus ``"baseline": "yes"`` for
an entry that records a row as it stood when ledgering began, :func:`baseline`). ``sig`` is the
platform device's Ed25519 signature (base64url) over the RFC 8785 bytes of ``{"kind": kind,
**body without sig}``, made with the key ``key`` (:mod:`traceability.recall.platform` holds the
seed). ``tracectl verify`` checks every such signature and compares each current row with the
latest entry of its subject (audit step 10, :mod:`traceability.ledger.audit.registry`).

Who calls: :mod:`traceability.authority` (the API, the CLI, the simulators and the demo).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from traceability.ledger.audit.registry import (
    DEVICE,
    FIELDS,
    KINDS,
    PARTY,
    PRODUCT,
    signed_message,
)
from traceability.ledger.records import parse_record
from traceability.ledger.service import append_entry
from traceability.registry.models import Device, Party, Product
from traceability.signing import ed25519 as signing

__all__ = ["DEVICE", "FIELDS", "KINDS", "PARTY", "PRODUCT", "Signer", "baseline", "record"]


@dataclass(frozen=True, slots=True)
class Signer:
    """The platform device's seed and key id (see :func:`traceability.recall.platform`)."""

    seed: bytes
    key_id: str


def fields_of(kind: str, row: Any) -> dict[str, str]:
    """The ledgered fields of a registry row, as strings (enums by value)."""
    return {f: str(getattr(getattr(row, f), "value", getattr(row, f))) for f in FIELDS[kind]}


def subject_of(kind: str, row: Any) -> str:
    return str(row.gtin if kind == PRODUCT else row.id)


def record(
    session: Session,
    *,
    kind: str,
    row: Any,
    by: str,
    signer: Signer,
    baseline: bool = False,
) -> int:
    """Append the platform-signed entry for ``row``'s current state; returns its ledger index."""
    body: dict[str, Any] = {
        "by": by,
        "fields": fields_of(kind, row),
        "key": signer.key_id,
        "subject": subject_of(kind, row),
    }
    if baseline:
        body["baseline"] = "yes"
    sig = signing.sign(seed=signer.seed, message=signed_message(kind, body))
    body["sig"] = signing.b64url(sig)
    return append_entry(session, kind=kind, body=body).idx


def ledgered_subjects(session: Session) -> dict[str, dict[str, dict[str, str]]]:
    """kind -> subject -> the fields of its latest entry (the registry entries in log order)."""
    out: dict[str, dict[str, dict[str, str]]] = {k: {} for k in KINDS}
    rows = session.connection().execute(
        sa.text("select record from ledger_entry where kind in :k order by idx").bindparams(
            sa.bindparam("k", expanding=True)
        ),
        {"k": list(KINDS)},
    )
    for (data,) in rows:
        rec = parse_record(bytes(data))
        body = rec.get("body") or {}
        out[str(rec.get("kind"))][str(body.get("subject"))] = dict(body.get("fields") or {})
    return out


def unledgered(session: Session) -> list[tuple[str, Any]]:
    """(kind, row) of every party, device and product row whose subject has no entry yet."""
    known = ledgered_subjects(session)
    out: list[tuple[str, Any]] = []
    for kind, model in ((PARTY, Party), (DEVICE, Device), (PRODUCT, Product)):
        rows: Any = session.exec(select(model)).all()
        out += [(kind, r) for r in rows if subject_of(kind, r) not in known[kind]]
    return out


def baseline(session: Session, *, signer: Signer, by: str = "baseline") -> int:
    """Ledger every party, device and product row whose subject has no entry yet, as it stands
    (``"baseline": "yes"``); returns how many entries were appended. Run on first start after
    an upgrade (``tracectl db upgrade``, ``tracectl serve``, the demo) and whenever the platform
    signs, so that ``tracectl verify`` has an entry to compare every older row with."""
    todo = unledgered(session)
    for kind, row in todo:
        record(session, kind=kind, row=row, by=by, signer=signer, baseline=True)
    return len(todo)
