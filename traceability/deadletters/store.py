"""Reading the dead-letter store (the gateway writes it in its batch transaction)."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from traceability.errors import NotFoundError
from traceability.store.models import DeadLetter


def to_dict(row: DeadLetter, *, with_payload: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "received_at": row.received_at.isoformat(),
        "reason": row.reason,
        "topic": row.topic,
        "device": row.device_id,
        "field": row.field,
        "detail": row.detail,
        "size": len(row.payload),
    }
    if with_payload:
        try:
            out["payload_text"] = row.payload.decode("utf-8")
        except UnicodeDecodeError:
            out["payload_text"] = None
        out["payload_b64"] = base64.b64encode(row.payload).decode("ascii")
    return out


def list_dead_letters(
    engine: Engine,
    *,
    reason: str | None = None,
    device: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    stmt = select(DeadLetter).order_by(col(DeadLetter.id).desc())
    if reason:
        stmt = stmt.where(DeadLetter.reason == reason)
    if device:
        stmt = stmt.where(DeadLetter.device_id == device)
    with Session(engine) as session:
        rows = session.exec(stmt.offset(offset).limit(limit)).all()
        return [to_dict(r) for r in rows]


def get_dead_letter(engine: Engine, dead_letter_id: int) -> dict[str, Any]:
    with Session(engine) as session:
        row = session.get(DeadLetter, dead_letter_id)
        if row is None:
            raise NotFoundError(
                f"dead letter {dead_letter_id} not found", field="id", value=dead_letter_id
            )
        return to_dict(row, with_payload=True)
