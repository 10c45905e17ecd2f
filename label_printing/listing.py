"""The label runs of some GTINs, newest first (the producer console's list)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from label_printing.models import LabelRun


def list_runs(session: Session, *, gtins: list[str], limit: int = 100) -> list[dict[str, Any]]:
    """Runs printing any of ``gtins`` (a producer's own products), newest first."""
    if not gtins:
        return []
    q = (
        select(LabelRun)
        .where(col(LabelRun.gtin).in_(gtins))
        .order_by(col(LabelRun.created_at).desc())
        .limit(max(1, min(limit, 1000)))
    )
    return [
        {
            "run_id": r.id,
            "gtin": r.gtin,
            "lot": r.lot,
            "expiry": r.expiry.isoformat(),
            "count": r.count,
            "format": r.format,
            "status": r.status,
            "product_name": r.product_name,
            "created_at": r.created_at.isoformat(timespec="seconds"),
        }
        for r in session.exec(q).all()
    ]
