"""Audit of the recall rows and the lots' recalled flags against the ledgered recall events.

Called by ``tracectl verify`` after the derived-row checks (so the ``event`` rows it reads have
already been checked against the ledger records). Fails (step 9):

- a ledgered recall event (platform device, disposition ``recalled``, a ``suyuan:recallId``)
  without its ``recall`` row, or with a row whose columns differ from the event;
- a ``recall`` row no ledgered recall event backs;
- a lot named by a ledgered recall whose registry row is not marked recalled, or a lot marked
  recalled that no ledgered recall names (pharmacy verdicts read that flag).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability.store.types import JSONType, UTCDateTime

# The platform's own device: it signs what the platform ledgers on someone's behalf (recalls).
# Defined here, below the recall package, so the audit needs nothing from it.
PLATFORM_DEVICE = "suyuan-platform"

STEP = 9
DISPOSITIONS = ("recalled", "urn:epcglobal:cbv:disp:recalled")
Fail = Callable[[int, int | None, str, Any, Any], None]


def _iso(t: Any) -> str | None:
    if t is None:
        return None
    return str(t.isoformat(timespec="milliseconds").replace("+00:00", "Z"))


def check_recalls(session: Session, fail: Fail) -> None:
    conn = session.connection()
    if not sa.inspect(conn).has_table("recall"):
        return
    events = conn.execute(
        sa.text(
            "select ledger_index, event_hash, body from event "
            "where disposition in :d and device_id = :dev order by ledger_index"
        )
        .bindparams(sa.bindparam("d", expanding=True))
        .columns(sa.column("ledger_index"), sa.column("event_hash"), sa.column("body", JSONType)),
        {"d": list(DISPOSITIONS), "dev": PLATFORM_DEVICE},
    ).all()
    rows = {
        r.id: r
        for r in conn.execute(
            sa.text(
                "select id, level, reason, opened_by, requested_at, scope, event_hash, "
                "ledger_index from recall"
            ).columns(
                sa.column("id"),
                sa.column("level"),
                sa.column("reason"),
                sa.column("opened_by"),
                sa.column("requested_at", UTCDateTime()),
                sa.column("scope", JSONType),
                sa.column("event_hash"),
                sa.column("ledger_index"),
            )
        )
    }
    ledgered_lots: set[tuple[str, str]] = set()
    seen: set[str] = set()
    for idx, h, body in events:
        rid = body.get("suyuan:recallId")
        if not isinstance(rid, str):
            continue
        seen.add(rid)
        scope = body.get("suyuan:scope") or {}
        for lot in scope.get("lots") or []:
            ledgered_lots.add((str(lot.get("gtin")), str(lot.get("lot"))))
        want = (
            body.get("suyuan:level"),
            body.get("suyuan:reason"),
            body.get("suyuan:openedBy"),
            body.get("suyuan:requestedAt"),
            scope,
            h,
            int(idx),
        )
        row = rows.get(rid)
        if row is None:
            fail(STEP, int(idx), f"recall {rid} in the ledger has no recall row", rid, None)
            continue
        got = (
            row.level,
            row.reason,
            row.opened_by,
            _iso(row.requested_at),
            row.scope,
            row.event_hash,
            int(row.ledger_index),
        )
        if got != want:
            fail(STEP, int(idx), f"recall row {rid} differs from the ledger", want, got)
    for rid in sorted(set(rows) - seen):
        fail(STEP, None, f"recall row {rid} has no ledgered recall event", None, rid)
    flagged = {
        (str(g), str(lot))
        for g, lot in conn.execute(
            sa.text("select gtin, lot from lot where recalled = :t"), {"t": True}
        )
    }
    for g, lot in sorted(ledgered_lots - flagged):
        fail(STEP, None, f"lot {lot} of {g} is recalled in the ledger but not in lot", True, False)
    for g, lot in sorted(flagged - ledgered_lots):
        fail(STEP, None, f"lot {lot} of {g} is marked recalled with no ledgered recall", None, True)
