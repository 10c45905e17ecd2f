"""Trace entry points: forward/backward from an item, a lot, or a location and time range."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from traceability.errors import InvalidInputError, NotFoundError
from traceability.store.types import UTCDateTime
from traceability.trace.model import DEFAULT_MAX_NODES, NEG, POS, Direction, Reach, TraceResult
from traceability.trace.resolve import Resolved, lot_ids, resolve
from traceability.trace.walk import walk

MAX_NODES_LIMIT = 100_000


def _direction(direction: str) -> Direction:
    if direction not in ("forward", "backward"):
        raise InvalidInputError(
            "direction must be forward or backward", field="direction", value=direction
        )
    return "forward" if direction == "forward" else "backward"


def _limit(max_nodes: int) -> int:
    if not 1 <= max_nodes <= MAX_NODES_LIMIT:
        raise InvalidInputError(
            f"max_nodes must be 1..{MAX_NODES_LIMIT}", field="max_nodes", value=max_nodes
        )
    return max_nodes


def _start(ids: list[str]) -> dict[str, Reach]:
    return {i: Reach(NEG, POS, True) for i in ids}


def trace_id(
    session: Session, *, direction: str, text: str, max_nodes: int = DEFAULT_MAX_NODES
) -> tuple[Resolved, TraceResult]:
    """Trace an item, container, lot or equipment unit given in any identifier form."""
    d = _direction(direction)
    limit = _limit(max_nodes)
    found = resolve(session, text=text)
    return found, walk(session, direction=d, start=_start(found.ids), max_nodes=limit)


def trace_lot(
    session: Session,
    *,
    direction: str,
    gtin: str,
    lot: str,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> TraceResult:
    d = _direction(direction)
    limit = _limit(max_nodes)
    ids = lot_ids(session, gtin=gtin, lot=lot)
    if not ids:
        raise NotFoundError(f"no events for lot {lot} of GTIN {gtin}", field="lot", value=lot)
    return walk(session, direction=d, start=_start(ids), max_nodes=limit)


def _aware(t: datetime, field: str) -> datetime:
    if t.tzinfo is None:
        raise InvalidInputError(f"{field} must carry a time zone", field=field, value=str(t))
    return t.astimezone(UTC)


def trace_location(
    session: Session,
    *,
    direction: str,
    location: str,
    since: datetime,
    until: datetime,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> TraceResult:
    """Everything seen at (or handed over at) ``location`` in ``[since, until]``, traced on from
    the moment it was there."""
    d = _direction(direction)
    limit = _limit(max_nodes)
    lo, hi = _aware(since, "from"), _aware(until, "to")
    if lo > hi:
        raise InvalidInputError("from is after to", field="from", value=since.isoformat())
    if not location or len(location) > 200 or "\x00" in location:
        raise InvalidInputError("location must be 1..200 characters", field="location")
    conn = session.connection()
    q = (
        sa.text(
            "select item, min(event_time), max(event_time) from trace_edge "
            "where ((kind = 'observed' and dst = :loc) or (kind = 'custody' and dst = :loc)) "
            "and event_time >= :lo and event_time <= :hi and item is not null group by item "
            "union all "
            "select item, min(event_time), max(event_time) from trace_edge "
            "where kind = 'custody' and src = :loc "
            "and event_time >= :lo and event_time <= :hi and item is not null group by item"
        )
        .bindparams(
            sa.bindparam("lo", type_=UTCDateTime()), sa.bindparam("hi", type_=UTCDateTime())
        )
        .columns(sa.column("item"), sa.column("t0", UTCDateTime()), sa.column("t1", UTCDateTime()))
    )
    params = {"loc": location, "lo": lo, "hi": hi}
    start: dict[str, Reach] = {}
    for item, t0, t1 in conn.execute(q, params):
        r = Reach(t0, POS, True) if d == "forward" else Reach(NEG, t1, True)
        start[item] = r if item not in start else start[item].merge(r)
    if not start:
        raise NotFoundError(
            f"nothing seen at {location} between {lo.isoformat()} and {hi.isoformat()}",
            field="location",
            value=location,
        )
    return walk(session, direction=d, start=start, max_nodes=limit)
