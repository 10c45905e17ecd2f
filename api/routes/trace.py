"""Trace, custody, recall and special-equipment endpoints (thin over ``traceability``).

Who may read what (docs/trace.md): the public (no token) reads ONE item's or lot's story --
``GET /custody`` -- and one equipment unit's compliance; listings and whole traces (every
downstream party) are for regulators and admins, and so is opening a recall.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Limit, Offset, RegulatorDep, SessionDep, SettingsDep
from api.jsonbody import StrictJSONRoute
from traceability.equipment import service as equipment
from traceability.recall import render
from traceability.recall import service as recalls
from traceability.recall.report import build_report
from traceability.trace import custody
from traceability.trace import service as trace

router = APIRouter(route_class=StrictJSONRoute, tags=["trace"])
MAX_NODES = 20_000
Ident = Annotated[
    str,
    Query(
        min_length=1,
        max_length=400,
        description="item, container or lot: GS1 Digital Link, EPC URN or element string",
    ),
]


class LotRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gtin: str = Field(min_length=1, max_length=14)
    lot: str = Field(min_length=1, max_length=20)


class RecallCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lots: list[LotRef] = Field(default_factory=list, max_length=1000)
    items: list[Annotated[str, Field(min_length=1, max_length=400)]] = Field(
        default_factory=list, max_length=1000
    )
    level: Literal["CN-I", "CN-II", "CN-III", "FDA-I", "FDA-II", "FDA-III"]
    reason: str = Field(min_length=1, max_length=400)
    opened_by: str = Field(min_length=1, max_length=64)
    requested_at: datetime | None = None


class RecallPublic(BaseModel):
    id: str
    level: str
    reason: str
    opened_by: str
    requested_at: str
    opened_at: str
    start_by: str | None
    scope: dict[str, Any]
    event_hash: str
    ledger_index: int


@router.get("/trace/{direction}")
def get_trace(
    direction: Literal["forward", "backward"],
    session: SessionDep,
    _who: RegulatorDep,
    id: Annotated[
        str | None, Query(max_length=400, description="an item, container or lot")
    ] = None,
    location: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    max_nodes: Annotated[int, Query(ge=1, le=MAX_NODES)] = 5000,
) -> dict[str, Any]:
    """A full trace (regulator/admin): forward or backward from ``id``, or from everything at
    ``location`` between ``from`` and ``to``; cut with ``truncated: true`` at ``max_nodes``."""
    from traceability.errors import InvalidInputError

    if (id is None) == (location is None):
        raise InvalidInputError("give either id or location (with from and to)", field="id")
    if location is not None:
        if since is None or until is None:
            raise InvalidInputError("location needs from and to", field="from")
        res = trace.trace_location(
            session,
            direction=direction,
            location=location,
            since=since,
            until=until,
            max_nodes=max_nodes,
        )
        return res.to_dict()
    assert id is not None
    found, res = trace.trace_id(session, direction=direction, text=id, max_nodes=max_nodes)
    return {"id": id, "resolved": found.ids, **res.to_dict()}


@router.get("/custody")
def get_custody(
    id: Ident,
    session: SessionDep,
    proof: bool = False,
    threshold_hours: Annotated[float, Query(gt=0, le=24 * 365)] = 72.0,
) -> dict[str, Any]:
    """Public: one item's or lot's story -- each step's place, party (name, USCC, credit
    status, serious-violation flag), signature state and ledger index; anomalies."""
    opts = custody.Options(threshold=timedelta(hours=threshold_hours), with_proof=proof)
    return custody.timeline(session, text=id, options=opts)


@router.post("/recalls", status_code=status.HTTP_201_CREATED)
def create_recall(
    data: RecallCreate, session: SessionDep, settings: SettingsDep, _who: RegulatorDep
) -> RecallPublic:
    """Open a recall (regulator/admin): a platform-signed ledger event; verdicts see it at once."""
    row = recalls.open_recall(
        session,
        data_dir=settings.data_dir,
        lots=[(x.gtin, x.lot) for x in data.lots],
        items=data.items,
        level=data.level,
        reason=data.reason,
        opened_by=data.opened_by,
        requested_at=data.requested_at,
    )
    return RecallPublic(**recalls.recall_public(row))


@router.get("/recalls")
def list_recalls(
    session: SessionDep, _who: RegulatorDep, limit: Limit = 100, offset: Offset = 0
) -> list[RecallPublic]:
    rows = recalls.list_recalls(session, limit=limit, offset=offset)
    return [RecallPublic(**recalls.recall_public(r)) for r in rows]


@router.get("/recalls/{recall_id}")
def get_recall_report(
    recall_id: Annotated[str, Path(max_length=40)], session: SessionDep, _who: RegulatorDep
) -> dict[str, Any]:
    """The recall report: affected set, holders, mass balance, consignees, time to report."""
    return build_report(session, row=recalls.get_recall(session, recall_id=recall_id))


@router.get("/recalls/{recall_id}/report.html", response_class=HTMLResponse)
def get_recall_html(
    recall_id: Annotated[str, Path(max_length=40)], session: SessionDep, _who: RegulatorDep
) -> HTMLResponse:
    doc = build_report(session, row=recalls.get_recall(session, recall_id=recall_id))
    return HTMLResponse(render.render_html(doc))


@router.get("/recalls/{recall_id}/report.csv", response_class=PlainTextResponse)
def get_recall_csv(
    recall_id: Annotated[str, Path(max_length=40)], session: SessionDep, _who: RegulatorDep
) -> PlainTextResponse:
    import io

    doc = build_report(session, row=recalls.get_recall(session, recall_id=recall_id))
    buf = io.StringIO()
    render.csv_rows(doc, buf)
    return PlainTextResponse(buf.getvalue(), media_type="text/csv")


@router.get("/equipment/overdue")
def get_overdue(session: SessionDep, _who: RegulatorDep) -> dict[str, Any]:
    """Units late for maintenance (elevators: 15 days) or inspection (yearly), with the
    accountable maintenance company and its USCC (regulator/admin)."""
    return {"overdue": equipment.overdue(session)}


@router.get("/equipment/{code}")
def get_equipment(
    code: Annotated[str, Path(min_length=1, max_length=120)], session: SessionDep
) -> dict[str, Any]:
    """Public: one unit's compliance (last maintenance and inspection, when next due)."""
    unit = equipment.status(session, code=code)[0]
    return {k: v for k, v in unit.items() if k != "lifecycle"}
