"""Open, read and list recalls.

:func:`open_recall` checks the request, resolves its lots and items, records ONE ledgered
ObjectEvent (``disposition`` ``recalled``, bizStep ``holding``, the recall's id, level, reason,
opener and request time as ``suyuan:`` extension fields) signed by the platform device on the
opener's behalf (:mod:`.platform`), then writes the ``recall`` row pointing at it and marks
the registry's lots recalled (what pharmacy verdicts read). ``tracectl verify`` checks all three
against the ledger (:mod:`traceability.ledger.audit.recall`).

Levels: China's food/drug recall levels I/II/III must start within 24/48/72 hours
(``start_by``); FDA classes I/II/III carry no start limit here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from traceability.errors import InvalidInputError, NotFoundError
from traceability.events.item_key import is_lot_class
from traceability.identifiers import check
from traceability.recall.models import Recall
from traceability.recall.platform import record_event
from traceability.registry.models import Lot
from traceability.trace.resolve import lot_ids, resolve

NS = "urn:suyuan:epcis:"
LEVELS: dict[str, timedelta | None] = {
    "CN-I": timedelta(hours=24),
    "CN-II": timedelta(hours=48),
    "CN-III": timedelta(hours=72),
    "FDA-I": None,
    "FDA-II": None,
    "FDA-III": None,
}
MAX_SCOPE = 1000


def _text(value: str, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{field} is empty", field=field)
    if len(value) > limit:
        raise InvalidInputError(f"{field} is longer than {limit} characters", field=field)
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidInputError(f"{field} holds a NUL or a lone surrogate", field=field)
    return value.strip()


def _lot_class(gtin: str, lot: str, known: list[str]) -> str:
    classes = [k for k in known if is_lot_class(k)]
    if classes:
        return classes[0]
    return check(f"(01){gtin}(10){lot}").normalized["epc_urn"]


def _recall_id(opened: datetime, scope: dict[str, Any], reason: str) -> str:
    digest = hashlib.sha256(f"{opened.isoformat()}|{scope}|{reason}".encode()).hexdigest()
    return f"RC-{opened:%Y%m%d}-{digest[:8].upper()}"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def open_recall(
    session: Session,
    *,
    data_dir: Path,
    lots: Sequence[tuple[str, str]] = (),
    items: Sequence[str] = (),
    level: str,
    reason: str,
    opened_by: str,
    requested_at: datetime | None = None,
    now: datetime | None = None,
) -> Recall:
    """Open a recall of ``lots`` ((gtin, lot) pairs) and/or ``items`` (any identifier form)."""
    if level not in LEVELS:
        raise InvalidInputError(
            f"level must be one of {', '.join(LEVELS)}", field="level", value=level
        )
    reason = _text(reason, "reason", 400)
    opened_by = _text(opened_by, "opened_by", 64)
    if not lots and not items:
        raise InvalidInputError("a recall needs at least one lot or item", field="lots")
    if len(lots) + len(items) > MAX_SCOPE:
        raise InvalidInputError(f"at most {MAX_SCOPE} lots and items", field="lots")
    opened = (now or datetime.now(UTC)).astimezone(UTC)
    requested = (requested_at or opened).astimezone(UTC)
    if requested > opened:
        raise InvalidInputError("requested_at is in the future", field="requested_at")
    classes: list[str] = []
    scope_lots: list[dict[str, str]] = []
    for gtin, lot in lots:
        known = lot_ids(session, gtin=gtin, lot=lot)
        g14 = check(f"(01){gtin}(10){lot}").normalized["gtin"]
        if not known and session.get(Lot, (g14, lot)) is None:
            raise NotFoundError(f"unknown lot {lot} of GTIN {gtin}", field="lot", value=lot)
        classes.append(_lot_class(g14, lot, known))
        scope_lots.append({"gtin": g14, "lot": lot})
    epcs = [resolve(session, text=i, field="items").ids[0] for i in items]
    scope = {"lots": scope_lots, "items": sorted(set(epcs))}
    rid = _recall_id(opened, scope, reason)
    event: dict[str, Any] = {
        "@context": [{"suyuan": NS}],
        "type": "ObjectEvent",
        "eventTime": _iso(opened),
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "holding",
        "disposition": "recalled",
        "suyuan:recallId": rid,
        "suyuan:level": level,
        "suyuan:reason": reason,
        "suyuan:openedBy": opened_by,
        "suyuan:requestedAt": _iso(requested),
        "suyuan:scope": scope,
    }
    if scope["items"]:
        event["epcList"] = scope["items"]
    if classes:
        event["quantityList"] = [{"epcClass": c} for c in sorted(set(classes))]
    h, index = record_event(session, data_dir=data_dir, event=event, at=opened)
    limit = LEVELS[level]
    row = Recall(
        id=rid,
        level=level,
        reason=reason,
        opened_by=opened_by,
        requested_at=requested,
        opened_at=opened,
        start_by=requested + limit if limit else None,
        scope=scope,
        event_hash=h,
        ledger_index=index,
    )
    session.add(row)
    for lot_ref in scope_lots:
        reg = session.get(Lot, (lot_ref["gtin"], lot_ref["lot"]))
        if reg is not None:
            reg.recalled = True
            reg.recall_reason = reason[:400]
            reg.recalled_at = opened
            session.add(reg)
    session.flush()
    return row


def get_recall(session: Session, *, recall_id: str) -> Recall:
    row = session.get(Recall, _text(recall_id, "recall_id", 40))
    if row is None:
        raise NotFoundError(f"no recall {recall_id}", field="recall_id", value=recall_id)
    return row


def list_recalls(session: Session, *, limit: int = 100, offset: int = 0) -> list[Recall]:
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInputError("limit must be 1..1000 and offset >= 0", field="limit")
    q = select(Recall).order_by(col(Recall.opened_at).desc()).offset(offset).limit(limit)
    return list(session.exec(q).all())


def recall_public(row: Recall) -> dict[str, Any]:
    return {
        "id": row.id,
        "level": row.level,
        "reason": row.reason,
        "opened_by": row.opened_by,
        "requested_at": _iso(row.requested_at),
        "opened_at": _iso(row.opened_at),
        "start_by": _iso(row.start_by) if row.start_by else None,
        "scope": row.scope,
        "event_hash": row.event_hash,
        "ledger_index": row.ledger_index,
    }
