"""``GET /events`` and ``GET /events/{eventID}``: the stored events a caller may see.

Visibility (docs/epcis.md): ``party=None`` sees every event (regulators, admins); a party sees

* its own events -- recorded by its devices, or captured with its API key -- and
* on every item one of its own events touches, the events up to and including its last own
  event on that item (the item's history until it held it: where it came from), never what
  later holders did with it (that is a regulator's trace).

Events are read in ledger order with keyset pagination (``ledger_index > after``), never
OFFSET. ``MATCH_*`` parameters first select candidate records through ``ledger_item`` (every
spelling of the identifier), then each event is checked field by field by canonical form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session

from traceability.epcis.errors import NoSuchResourceError
from traceability.epcis.extensions import PLATFORM_NS, PLATFORM_PREFIX
from traceability.epcis.params import EventQuery, canonical
from traceability.events.documents import DEFAULT_CONTEXT
from traceability.ledger.audit.recall import PLATFORM_DEVICE

# the expressions migration 0009 indexes (spelled the same way)
EVENT_ID_PG: Final = "(body->>'eventID')"
EVENT_ID_SQLITE: Final = "json_extract(body, '$.eventID')"
ASSERTED_PG: Final = "(body->>'suyuan:assertedBy')"
ASSERTED_SQLITE: Final = "json_extract(body, '$.\"suyuan:assertedBy\"')"
SCAN_LIMIT: Final = 20_000  # rows read for one page at most; a sparse page still gets a token
_COLS = "e.ledger_index, e.event_hash, e.recorded_at, e.body"
_EPC_FIELDS: Final = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_CLASS_FIELDS: Final = ("quantityList", "childQuantityList", "inputQuantityList",
                        "outputQuantityList")  # fmt: skip


def visible(dialect: str) -> str:
    """The condition on ``e`` (an event row) that a party (``:party``) may see it; binds
    ``:party`` and ``:platform`` (the platform device, which signs captured events)."""
    asserted = ASSERTED_PG if dialect == "postgresql" else ASSERTED_SQLITE
    own = (
        "select ledger_index from event where device_id in "
        "(select id from device where party_id = :party) "
        f"union select ledger_index from event where {asserted} = :party "
        "and device_id = :platform"
    )
    return (
        f"(e.ledger_index in ({own}) or e.ledger_index in ("
        "select li.idx from ledger_item li join (select item, max(idx) as last from "
        f"ledger_item where idx in ({own}) group by item) held "
        "on li.item = held.item and li.idx <= held.last))"
    )


def _epcs(body: Mapping[str, Any], fields: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for f in fields:
        v = body.get(f)
        if isinstance(v, list):
            out.update(canonical(x) for x in v if isinstance(x, str))
    return out


def _classes(body: Mapping[str, Any]) -> set[str]:
    out: set[str] = set()
    for f in _CLASS_FIELDS:
        v = body.get(f)
        if isinstance(v, list):
            out.update(
                canonical(q["epcClass"])
                for q in v
                if isinstance(q, dict) and isinstance(q.get("epcClass"), str)
            )
    return out


def _matches(q: EventQuery, body: Mapping[str, Any]) -> bool:
    for name, (keys, _) in q.matches.items():
        if name == "MATCH_epc":
            found = _epcs(body, _EPC_FIELDS)
        elif name == "MATCH_anyEPC":
            found = _epcs(body, _EPC_FIELDS)
            if isinstance(body.get("parentID"), str):
                found.add(canonical(body["parentID"]))
        else:
            found = _classes(body)
        if not keys & found:
            return False
    return True


def _sql(q: EventQuery, party: str | None, dialect: str) -> tuple[str, dict[str, Any]]:
    where = ["e.ledger_index > :after"]
    args: dict[str, Any] = {"after": q.after}
    if q.since is not None:
        where.append("e.event_time >= :since")
        args["since"] = q.since.astimezone(UTC)
    if q.until is not None:
        where.append("e.event_time < :until")
        args["until"] = q.until.astimezone(UTC)
    for col, values in q.columns.items():
        where.append(f"e.{col} in :{col}")
        args[col] = values
    for n, (_, cands) in enumerate(q.matches.values()):
        where.append(f"e.ledger_index in (select idx from ledger_item where item in :m{n})")
        args[f"m{n}"] = cands
    if party is not None:
        where.append(visible(dialect))
        args.update(party=party, platform=PLATFORM_DEVICE)
    return " and ".join(where), args


def _rows(session: Session, cond: str, args: dict[str, Any], limit: int) -> list[Any]:
    stmt = sa.text(f"select {_COLS} from event e where {cond} order by e.ledger_index limit :limit")
    for name, value in args.items():
        if isinstance(value, list):
            stmt = stmt.bindparams(sa.bindparam(name, expanding=True))
    return list(session.connection().execute(stmt, {**args, "limit": limit}).all())


def _iso(when: Any) -> str:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return str(when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"))


def render(row: Any, context: list[Any]) -> dict[str, Any]:
    """A stored event as a query result: its body, with ``eventID`` (the CBV 2.0 event hash
    if it had none), ``recordTime`` and ``suyuan:ledgerIndex``; its ``@context`` moves to
    the document's."""
    body = row.body if isinstance(row.body, dict) else json.loads(row.body)
    for item in body.get("@context") or []:
        if item not in context:
            context.append(item)
    out = {k: v for k, v in body.items() if k != "@context"}
    out.setdefault("eventID", row.event_hash)
    out["recordTime"] = _iso(row.recorded_at)
    out[f"{PLATFORM_PREFIX}:ledgerIndex"] = int(row.ledger_index)
    return out


def query_events(
    session: Session, *, query: EventQuery, party: str | None
) -> tuple[list[Any], int | None]:
    """(one page of event rows, the last ledger index read if there may be more, else None)."""
    cond, args = _sql(query, party, session.connection().dialect.name)
    out: list[Any] = []
    scanned = 0
    after = query.after
    batch = query.per_page + 1 if not query.matches else max(4 * query.per_page, 200)
    while True:
        rows = _rows(session, cond, {**args, "after": after}, batch)
        for row in rows:
            scanned += 1
            body = row.body if isinstance(row.body, dict) else json.loads(row.body)
            if query.matches and not _matches(query, body):
                after = int(row.ledger_index)
                continue
            if len(out) == query.per_page:
                return out, int(out[-1].ledger_index)
            out.append(row)
            after = int(row.ledger_index)
        if len(rows) < batch:
            return out, None
        if scanned >= SCAN_LIMIT:
            return out, after


def query_document(rows: list[Any], *, now: datetime | None = None) -> dict[str, Any]:
    context: list[Any] = [*DEFAULT_CONTEXT, {PLATFORM_PREFIX: PLATFORM_NS}]
    events = [render(r, context) for r in rows]
    return {
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": _iso(now or datetime.now(UTC)),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": events},
            }
        },
    }


def get_event(session: Session, *, event_id: str, party: str | None) -> Any:
    """One visible event by its eventID or CBV 2.0 event hash (404 otherwise, also when it
    exists but is not visible: existence is not disclosed)."""
    dialect = session.connection().dialect.name
    expr = EVENT_ID_PG if dialect == "postgresql" else EVENT_ID_SQLITE
    cond = f"(e.event_hash = :id or {expr} = :id)"
    args: dict[str, Any] = {"id": event_id}
    if party is not None:
        cond += f" and {visible(dialect)}"
        args.update(party=party, platform=PLATFORM_DEVICE)
    rows = _rows(session, cond, args, 1)
    if not rows:
        raise NoSuchResourceError(
            f"no event {event_id} visible to this caller", field="eventID", value=event_id[:120]
        )
    return rows[0]
