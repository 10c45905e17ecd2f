"""The EPCIS 2.0 REST subset (docs/epcis.md): capture and the event query, thin over
:mod:`traceability.epcis`.

* ``POST /capture`` -- a party (its API key, or a producer token) sends an EPCISDocument; 202
  with ``Location: /capture/{captureID}`` when recorded, 400 ``ValidationException`` (the job
  is kept, with its errors, and named by ``Location``), 413 ``CaptureLimitExceededException``.
* ``GET /capture/{captureID}`` -- the capture job (a party sees its own).
* ``GET /events``, ``GET /events/{eventID}`` -- an ``EPCISQueryDocument`` of what the caller
  may see: a regulator or admin everything, a party its own events and the history of the
  items it handled. The public gets no listing (401): one item's story is the resolver's.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import AnyRoleDep, Limit, Principal, ProducerDep, SessionDep, SettingsDep
from api.errors import error_response
from api.jsonbody import StrictJSONRoute
from traceability.epcis import capture as captures
from traceability.epcis import params as qparams
from traceability.epcis import query as events
from traceability.epcis.errors import EpcisValidationError
from traceability.errors import ForbiddenError, InvalidInputError
from traceability.events.timing import TimeRule
from traceability.recall.platform import platform_secret

router = APIRouter(route_class=StrictJSONRoute, tags=["epcis"])
LD_JSON = "application/ld+json"
VERSIONS = {"GS1-EPCIS-Version": "2.0", "GS1-CBV-Version": "2.0"}
_DOC = {"type": "object", "description": "an EPCIS 2.0 EPCISDocument (JSON-LD)"}
CAPTURE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {LD_JSON: {"schema": _DOC}, "application/json": {"schema": _DOC}},
    }
}
Param = Annotated[str | None, Query()]


def _party_of(who: Principal) -> str | None:
    """The party whose view a caller gets: None (everything) for regulators and admins."""
    if who.sees_all_parties:
        return None
    if who.party_id is None:
        raise ForbiddenError("this token belongs to no party", field="authorization")
    return who.party_id


def _limits(settings: Any) -> dict[str, str]:
    return {
        **VERSIONS,
        "GS1-EPCIS-Capture-Limit": str(captures.MAX_EVENTS),
        "GS1-EPCIS-Capture-File-Size-Limit": str(settings.api_max_body_bytes),
    }


@router.post("/capture", status_code=202, openapi_extra=CAPTURE_BODY, response_model=None)
async def capture(
    request: Request, session: SessionDep, settings: SettingsDep, who: ProducerDep
) -> JSONResponse:
    """Capture an EPCISDocument for the caller's party (rollback: all events or none)."""
    if who.party_id is None:
        raise ForbiddenError(
            "capture needs a party API key or a producer token", field="authorization"
        )
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in (LD_JSON, "application/json"):
        return error_response(
            415,
            {
                "code": "unsupported_media_type",
                "message": f"send {LD_JSON} or application/json",
                "field": "content-type",
                "type": "epcisException:UnsupportedMediaTypeException",
            },
        )
    data = await request.body()
    try:
        rule = TimeRule.from_settings(settings)
    except ValueError as exc:
        raise InvalidInputError(f"settings: {exc}", field="time_floor") from None
    doc = captures.parse(data)

    def run() -> Any:
        return captures.capture(
            session,
            doc=doc,
            party_id=str(who.party_id),
            key_id=who.key_id,
            data_dir=settings.data_dir,
            time_rule=rule,
        )

    job = await run_in_threadpool(run)
    location = f"/capture/{job.id}"
    headers = {**_limits(settings), "Location": location}
    if not job.success:
        first = job.errors[0]
        err = EpcisValidationError(
            f"{first['pointer'] or 'document'}: {first['detail']}",
            field=first["pointer"] or "body",
            errors=job.errors,
        ).to_dict()
        err["captureID"] = job.id
        return error_response(400, err, headers)
    return JSONResponse(captures.job_public(job), status_code=202, headers=headers)


@router.get("/capture")
def list_capture_jobs(session: SessionDep, who: AnyRoleDep, limit: Limit = 100) -> list[Any]:
    """Capture jobs, newest first: a party's own; every party's for regulators and admins."""
    jobs = captures.list_jobs(session, party_id=_party_of(who), limit=limit)
    return [captures.job_public(j) for j in jobs]


@router.get("/capture/{captureID}")
def get_capture_job(
    session: SessionDep,
    who: AnyRoleDep,
    capture_id: Annotated[str, Path(alias="captureID", max_length=64)],
) -> dict[str, Any]:
    """The capture job: running, success, and the errors per event."""
    job = captures.get_job(session, capture_id=capture_id, party_id=_party_of(who))
    return captures.job_public(job)


@router.get("/events", response_model=None)
def get_events(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: AnyRoleDep,
    GE_eventTime: Param = None,  # noqa: N803 - the standard's parameter names
    LT_eventTime: Param = None,  # noqa: N803
    EQ_bizStep: Param = None,  # noqa: N803
    EQ_disposition: Param = None,  # noqa: N803
    MATCH_epc: Param = None,  # noqa: N803
    MATCH_anyEPC: Param = None,  # noqa: N803
    MATCH_epcClass: Param = None,  # noqa: N803
    EQ_readPoint: Param = None,  # noqa: N803
    EQ_bizLocation: Param = None,  # noqa: N803
    perPage: Param = None,  # noqa: N803
    nextPageToken: Param = None,  # noqa: N803
) -> JSONResponse:
    """Events the caller may see, in ledger order; ``Link: <...>; rel="next"`` when more."""
    party = _party_of(who)
    secret = platform_secret(settings.data_dir, purpose="epcis-page-token")
    items = list(request.query_params.multi_items())
    query = qparams.parse(items, secret=secret)
    rows, after = events.query_events(session, query=query, party=party)
    headers = dict(VERSIONS)
    if after is not None:
        token = qparams.make_token(after=after, digest=query.digest, secret=secret)
        kept = [(k, v) for k, v in items if k != "nextPageToken"]
        link = f"{request.url.path}?{urlencode([*kept, ('nextPageToken', token)])}"
        headers["Link"] = f'<{link}>; rel="next"'
    return JSONResponse(events.query_document(rows), media_type=LD_JSON, headers=headers)


@router.get("/events/{eventID:path}", response_model=None)
def get_event(
    session: SessionDep,
    who: AnyRoleDep,
    event_id: Annotated[str, Path(alias="eventID", max_length=400)],
) -> JSONResponse:
    """One event by its ``eventID`` or CBV 2.0 event hash (``ni:///sha-256;...``)."""
    row = events.get_event(session, event_id=event_id, party=_party_of(who))
    return JSONResponse(events.query_document([row]), media_type=LD_JSON, headers=VERSIONS)
