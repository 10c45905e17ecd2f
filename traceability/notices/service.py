"""Recording serious-violation decisions, and the list of public notices.

A decision is a ledger entry of kind ``party.violation`` (appended in the caller's transaction,
so it is public the moment it commits), the party's credit status set to ``serious_violation``
and a ``violation_decision`` row pointing at the entry. :func:`list_notices` merges those rows
with the recalls (each ledgered as a platform-signed event), newest first.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from traceability.authority.service import set_party_credit
from traceability.errors import InvalidInputError, NotFoundError
from traceability.ledger.records import format_time
from traceability.ledger.service import append_entry
from traceability.notices.models import ViolationDecision
from traceability.recall import service as recalls
from traceability.recall.models import Recall
from traceability.registry.models import CreditStatus, Party, Product

VIOLATION_KIND = "party.violation"
MAX_NOTICES = 200


@dataclass(frozen=True, slots=True)
class Notice:
    id: str  # RC-… or SV-…
    kind: str  # recall | violation
    title: str
    summary: str
    published: datetime
    ledger_index: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def uuid_urn(self) -> str:
        """A permanent Atom/JSON Feed id (whatever host serves the feed)."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"suyuan:notice:{self.id}").urn


def _text(value: str, name: str, limit: int) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        raise InvalidInputError(f"{name} is empty", field=name)
    if len(value) > limit:
        raise InvalidInputError(f"{name} is longer than {limit} characters", field=name)
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidInputError(f"{name} holds a NUL or a lone surrogate", field=name)
    return value


def record_violation(
    session: Session,
    *,
    data_dir: Path,
    party_id: str,
    decision: str,
    decided_by: str,
    now: datetime | None = None,
) -> ViolationDecision:
    """Put ``party_id`` on the serious-violation list with the decision's text; ledgered twice:
    the decision (``party.violation``, what the notice links to) and the party's new credit
    status as the platform-signed registry entry that audit step 10 holds the row to."""
    decision = _text(decision, "decision", 1000)
    decided_by = _text(decided_by, "decided_by", 64)
    party = session.get(Party, _text(party_id, "party_id", 64))
    if party is None:
        raise NotFoundError(f"no party {party_id}", field="party_id", value=party_id[:64])
    when = (now or datetime.now(UTC)).astimezone(UTC)
    digest = hashlib.sha256(f"{when.isoformat()}|{party.id}|{decision}".encode()).hexdigest()
    did = f"SV-{when:%Y%m%d}-{digest[:8].upper()}"
    entry = append_entry(
        session,
        kind=VIOLATION_KIND,
        body={
            "decision_id": did,
            "party": party.id,
            "party_name": party.name,
            "uscc": party.uscc,
            "decision": decision,
            "decided_by": decided_by,
            "decided_at": format_time(when),
            "credit_status": str(CreditStatus.serious_violation),
        },
        recorded_at=when,
    )
    set_party_credit(
        session,
        data_dir=data_dir,
        party_id=party.id,
        credit_status=CreditStatus.serious_violation,
        by=f"regulator:{decided_by}",
    )
    row = ViolationDecision(
        id=did,
        party_id=party.id,
        party_name=party.name,
        uscc=party.uscc,
        decision=decision,
        decided_by=decided_by,
        decided_at=when,
        ledger_index=entry.idx,
    )
    session.add(row)
    session.flush()
    return row


def list_violations(session: Session, *, limit: int = MAX_NOTICES) -> list[ViolationDecision]:
    q = select(ViolationDecision).order_by(col(ViolationDecision.decided_at).desc()).limit(limit)
    return list(session.exec(q).all())


def listed_parties(session: Session) -> list[Party]:
    """The parties on the serious-violation list now (registered so, or by a decision)."""
    q = select(Party).where(Party.credit_status == CreditStatus.serious_violation)
    return list(session.exec(q.order_by(col(Party.id))).all())


def _recall_notice(session: Session, row: Recall) -> Notice:
    scope = row.scope or {}
    names: list[str] = []
    for lot in scope.get("lots") or []:
        product = session.get(Product, str(lot.get("gtin")))
        label = product.name if product is not None else f"GTIN {lot.get('gtin')}"
        names.append(f"{label}, lot {lot.get('lot')}")
    items = list(scope.get("items") or [])
    if items:
        names.append(f"{len(items)} item(s)")
    what = "; ".join(names) or "see scope"
    return Notice(
        id=row.id,
        kind="recall",
        title=f"Recall {row.id} ({row.level}): {what}",
        summary=row.reason,
        published=row.opened_at,
        ledger_index=row.ledger_index,
        details={**recalls.recall_public(row), "products": names},
    )


def _violation_notice(row: ViolationDecision) -> Notice:
    who = f"{row.party_name} (USCC {row.uscc})" if row.uscc else row.party_name
    return Notice(
        id=row.id,
        kind="violation",
        title=f"Serious-violation decision {row.id}: {who}",
        summary=row.decision,
        published=row.decided_at,
        ledger_index=row.ledger_index,
        details={
            "party_id": row.party_id,
            "party_name": row.party_name,
            "uscc": row.uscc,
            "decided_by": row.decided_by,
        },
    )


def list_notices(session: Session, *, limit: int = 50) -> list[Notice]:
    """Recalls and violation decisions, newest first (at most ``limit``)."""
    limit = max(1, min(limit, MAX_NOTICES))
    out = [_recall_notice(session, r) for r in recalls.list_recalls(session, limit=limit)]
    out += [_violation_notice(v) for v in list_violations(session, limit=limit)]
    out.sort(key=lambda n: (n.published, n.ledger_index), reverse=True)
    return out[:limit]
