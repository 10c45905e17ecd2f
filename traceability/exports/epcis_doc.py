"""An EPCIS 2.0 JSON-LD document of a trace: every event the lot's backward and forward traces
used, as recorded (the signed bodies), in event-time order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from traceability.errors import NotFoundError
from traceability.recall.report import bodies
from traceability.trace.model import NEG, POS, Reach
from traceability.trace.resolve import lot_ids
from traceability.trace.walk import StoreGraph, walk

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def document(events: list[dict[str, Any]], *, now: datetime | None = None) -> dict[str, Any]:
    when = (now or datetime.now(UTC)).astimezone(UTC)
    contexts: list[Any] = [EPCIS_CONTEXT]
    extra: dict[str, str] = {}
    out = []
    for ev in events:
        ev = dict(ev)
        for c in ev.get("@context") or []:
            if isinstance(c, dict):
                extra.update({k: v for k, v in c.items() if isinstance(v, str)})
        out.append(ev)
    if extra:
        contexts.append(extra)
    return {
        "@context": contexts,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "epcisBody": {"eventList": out},
    }


def lot_document(
    session: Session, *, gtin: str, lot: str, max_nodes: int = 50_000
) -> tuple[dict[str, Any], bool]:
    """(document, truncated) for the events of a lot's backward and forward traces."""
    ids = lot_ids(session, gtin=gtin, lot=lot)
    if not ids:
        raise NotFoundError(f"no events for lot {lot} of GTIN {gtin}", field="lot", value=lot)
    start = {i: Reach(NEG, POS, True) for i in ids}
    graph = StoreGraph(session)  # both walks read the same edges: load them once
    fwd = walk(session, direction="forward", start=start, max_nodes=max_nodes, graph=graph)
    back = walk(session, direction="backward", start=start, max_nodes=max_nodes, graph=graph)
    rows = bodies(session, set(fwd.ledger_indexes) | set(back.ledger_indexes))
    return document([b for _, _, b in rows]), fwd.truncated or back.truncated
