"""``POST /capture``: a partner's EPCIS 2.0 document, validated, signed by the platform on the
partner's behalf and ledgered like a gateway's events.

The checks, in order (the first failing group answers): the document parses as RFC 8259 JSON
(:class:`EpcisValidationError`); it has at most :data:`MAX_EVENTS` events
(:class:`CaptureLimitError`, 413); :func:`traceability.epcis.extensions.document_problems`
(event types, namespaced extensions, NUL, depth); :func:`traceability.events.validate_document`
-- the code path of ``tracectl epcis validate`` (schema, CBV, identifiers, the time rule).

A valid document's events are each given the document's ``@context`` (so that their extension
names stay resolvable and hash as the partner meant them) and ``suyuan:assertedBy`` (the party
of the API key), then signed into envelopes by the platform device
(:mod:`traceability.recall.platform`) and appended with
:func:`traceability.ledger.service.append_events` in the caller's transaction. Rollback is the
only error behaviour: a document with one bad event records none.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from traceability.epcis.errors import CaptureLimitError, EpcisValidationError, NoSuchResourceError
from traceability.epcis.extensions import PLATFORM_NS, PLATFORM_PREFIX, document_problems
from traceability.epcis.models import CaptureJob
from traceability.epcis.query import EVENT_ID_PG, EVENT_ID_SQLITE
from traceability.events import DocumentError, event_hash, load_json, validate_document
from traceability.events.timing import TimeRule
from traceability.ledger.audit.recall import PLATFORM_DEVICE
from traceability.ledger.service import EventSubmission, append_events
from traceability.recall.platform import ensure_platform
from traceability.signing import envelope as env

MAX_EVENTS: Final = 500  # events per capture (GS1-EPCIS-Capture-Limit)
MAX_EVENT_BYTES: Final = 192 * 1024  # one event, so that it fits one envelope
ASSERTED_BY: Final = f"{PLATFORM_PREFIX}:assertedBy"
_ENVELOPE_BUDGET: Final = env.DEFAULT_MAX_BYTES - 16 * 1024


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(data: bytes) -> dict[str, Any]:
    """The document, or EpcisValidationError / CaptureLimitError."""
    try:
        doc = load_json(data)
    except DocumentError as exc:
        raise EpcisValidationError(exc.message, field=exc.field or "body") from None
    except RecursionError:
        raise EpcisValidationError("the document is nested too deeply", field="body") from None
    body = doc.get("epcisBody")
    events = body.get("eventList") if isinstance(body, Mapping) else None
    if isinstance(events, list) and len(events) > MAX_EVENTS:
        raise CaptureLimitError(
            f"{len(events)} events in one capture; the limit is {MAX_EVENTS}",
            field="epcisBody.eventList",
            value=len(events),
        )
    return doc


def problems(doc: dict[str, Any], *, time_rule: TimeRule, now: datetime) -> list[dict[str, Any]]:
    """Every problem of ``doc`` as RFC 7807-like error items (empty: valid)."""
    found = document_problems(doc)
    if found:
        return [_item(path, message) for path, message in found]
    issues = validate_document(doc, rules=("epcis",), time_rule=time_rule, now=now)
    out = []
    for issue in issues:
        path = "" if issue.event is None else f"epcisBody.eventList[{issue.event}]"
        if issue.path:
            path = f"{path}.{issue.path}" if path else issue.path
        out.append(_item(path, f"{issue.code}: {issue.message}"))
    return out


def _item(path: str, message: str) -> dict[str, Any]:
    return {
        "type": "epcisException:ValidationException",
        "title": "invalid event" if "eventList[" in path else "invalid document",
        "status": 400,
        "detail": message[:300],
        "pointer": path,
    }


def _context(doc: Mapping[str, Any], event: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    for ctx in (doc.get("@context"), event.get("@context")):
        for item in ctx if isinstance(ctx, list) else [ctx]:
            if item is not None and item not in out:
                out.append(item)
    out.append({PLATFORM_PREFIX: PLATFORM_NS})
    return out


def _asserted(doc: Mapping[str, Any], party_id: str) -> list[list[dict[str, Any]]]:
    """The events as recorded, in groups that each fit one envelope."""
    sized: list[tuple[dict[str, Any], int]] = []
    for i, event in enumerate(doc["epcisBody"]["eventList"]):
        ev = {k: v for k, v in event.items() if k != "@context"}
        ev = {"@context": _context(doc, event), **ev, ASSERTED_BY: party_id}
        size = len(json.dumps(ev, ensure_ascii=False).encode())
        if size > MAX_EVENT_BYTES:
            raise CaptureLimitError(
                f"event {i} is {size} bytes; the limit is {MAX_EVENT_BYTES}",
                field=f"epcisBody.eventList[{i}]",
                value=size,
            )
        sized.append((ev, size))
    groups: list[list[dict[str, Any]]] = [[]]
    used = 0
    for ev, size in sized:
        if groups[-1] and used + size > _ENVELOPE_BUDGET:
            groups.append([])
            used = 0
        groups[-1].append(ev)
        used += size
    return groups


def capture(
    session: Session,
    *,
    doc: dict[str, Any],
    party_id: str,
    key_id: str | None,
    data_dir: Path,
    time_rule: TimeRule,
    now: datetime | None = None,
) -> CaptureJob:
    """Validate and record ``doc`` for ``party_id``; the job says success or lists the errors
    (nothing is recorded then). The caller commits."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    job = CaptureJob(
        id=secrets.token_hex(16),
        party_id=party_id,
        key_id=key_id,
        created_at=when,
        running=True,
        event_count=len(doc.get("epcisBody", {}).get("eventList") or []),
    )
    errors = problems(doc, time_rule=time_rule, now=when)
    if not errors:
        groups = _asserted(doc, party_id)
        hashes = [event_hash(ev) for g in groups for ev in g]
        errors = _id_conflicts(session, groups, hashes)
    if not errors:
        job.ledger_indexes = _record(
            session, groups=groups, hashes=hashes, at=when, data_dir=data_dir
        )
    job.errors = errors[:100]
    job.success = not errors
    job.running = False
    job.finished_at = datetime.now(UTC)
    session.add(job)
    session.flush()
    return job


def _id_conflicts(
    session: Session, groups: list[list[dict[str, Any]]], hashes: list[str]
) -> list[dict[str, Any]]:
    """An ``eventID`` names one event: one already stored for another event, or given to two
    different events of the document, is refused (``GET /events/{eventID}`` stays exact)."""
    named: dict[str, tuple[int, str]] = {}
    errors: list[dict[str, Any]] = []
    events = [ev for g in groups for ev in g]
    for i, (ev, h) in enumerate(zip(events, hashes, strict=True)):
        eid = ev.get("eventID")
        if not isinstance(eid, str):
            continue
        if eid in named and named[eid][1] != h:
            where = f"epcisBody.eventList[{i}].eventID"
            errors.append(_item(where, f"eventID {eid} is also given to event {named[eid][0]}"))
        named.setdefault(eid, (i, h))
    if not named:
        return errors
    dialect = session.connection().dialect.name
    expr = EVENT_ID_PG if dialect == "postgresql" else EVENT_ID_SQLITE
    stmt = sa.text(f"select {expr}, event_hash from event where {expr} in :ids").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    for eid, stored in session.connection().execute(stmt, {"ids": list(named)}).all():
        i, h = named[eid]
        if stored != h:
            errors.append(
                _item(
                    f"epcisBody.eventList[{i}].eventID",
                    f"eventID {eid} already names another recorded event",
                )
            )
    return errors


def _record(
    session: Session,
    *,
    groups: list[list[dict[str, Any]]],
    hashes: list[str],
    at: datetime,
    data_dir: Path,
) -> list[int]:
    seed, kid = ensure_platform(session, data_dir=data_dir)
    offset = 0
    submissions: list[EventSubmission] = []
    for group in groups:
        payload = env.build(
            device=PLATFORM_DEVICE,
            key_id=kid,
            seed=seed,
            seq=time.time_ns(),
            events=group,
            sent_at=at,
        )
        envelope = env.Envelope.from_json(payload)
        submissions.extend(
            EventSubmission(
                event=ev,
                event_hash=hashes[offset + i],
                envelope=envelope,
                device_id=PLATFORM_DEVICE,
                key_id=kid,
                position=i,
            )
            for i, ev in enumerate(envelope.events)
        )
        offset += len(envelope.events)
    # recorded now: after the platform key's registration, which the audit checks against
    results = append_events(session, submissions=submissions)
    return [r.index for r in results]


def job_public(job: CaptureJob) -> dict[str, Any]:
    """The capture job resource (EPCIS 2.0 REST bindings)."""
    return {
        "captureID": job.id,
        "createdAt": _iso(job.created_at),
        "finishedAt": _iso(job.finished_at) if job.finished_at else None,
        "running": job.running,
        "success": job.success,
        "captureErrorBehaviour": "rollback",
        "errors": job.errors,
        "eventCount": job.event_count,
        "ledgerIndexes": job.ledger_indexes,
    }


def list_jobs(session: Session, *, party_id: str | None, limit: int = 100) -> list[CaptureJob]:
    """The newest jobs first (a party's own, or all for ``party_id=None``)."""
    q = select(CaptureJob).order_by(col(CaptureJob.created_at).desc(), col(CaptureJob.id))
    if party_id is not None:
        q = q.where(CaptureJob.party_id == party_id)
    return list(session.exec(q.limit(limit)).all())


def get_job(session: Session, *, capture_id: str, party_id: str | None) -> CaptureJob:
    """A job by id; a party sees only its own (another's is "no such job", as unknown)."""
    job = session.get(CaptureJob, capture_id) if len(capture_id) <= 40 else None
    if job is None or (party_id is not None and job.party_id != party_id):
        raise NoSuchResourceError(
            f"no capture job {capture_id}", field="captureID", value=capture_id[:64]
        )
    return job
