"""The console (server-rendered HTML, docs/console.md): sign-in and sign-out, and the
regulator's pages. Thin: pages are rendered by ``traceability.console``, data comes from the
domain services; sessions, CSRF and errors are handled by :func:`api.console_web.run_page`.
The producer's pages are in :mod:`api.routes.console_producer`."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from api import console_web as web
from api.deps import PathIndex, SessionDep
from api.jsonbody import StrictJSONRoute
from traceability.console import data, regulator
from traceability.console import producer as producer_pages
from traceability.console import session as cs
from traceability.console.forms import need, parse_form
from traceability.deadletters.store import list_dead_letters
from traceability.equipment import service as equipment
from traceability.errors import ForbiddenError, InvalidInputError, TraceError
from traceability.exports import fsma204
from traceability.ledger import checkpoint, receipt
from traceability.ledger import store as ledger_store
from traceability.notices import service as notices
from traceability.recall import render
from traceability.recall import service as recalls
from traceability.recall.report import build_report
from traceability.registry import service as registry
from traceability.store.engine import get_engine
from traceability.trace import custody

router = APIRouter(route_class=StrictJSONRoute, prefix="/console", include_in_schema=False)
REG = ("regulator", "admin")
GRAPH_NODES = 60
MAX_GRAPH_NODES = 300
RecallId = Annotated[str, Path(min_length=1, max_length=40)]


async def raw_body(request: Request) -> bytes:
    return await request.body()


BodyDep = Annotated[bytes, Depends(raw_body)]


@router.get("/login")
def login_form(request: Request) -> Response:
    if web.current(request) is not None:
        return RedirectResponse("/console", status_code=303)
    return web.login_response(request)


@router.post("/login")
def login(request: Request, body: BodyDep) -> Response:
    """Open a session for a regulator's, producer's or admin's token (form POST)."""
    key = web.key_of(request)
    try:
        if not web.same_origin(request):
            raise ForbiddenError("the form was posted from another origin", field="origin")
        form = parse_form(body, request.headers.get("content-type"))
        nonce = request.cookies.get(web.LOGIN_COOKIE, "")
        if not nonce or not cs.same(form.get("csrf"), cs.login_csrf(key, nonce)):
            return web.login_response(
                request, message="The sign-in form expired: try again.", status=403
            )
        token = cs.find_token(web.settings_of(request).api_token_table, need(form, "token"))
    except TraceError as exc:
        return web.error(request, exc)
    if token is None:
        return web.login_response(request, message="That token is not valid.", status=401)
    done = RedirectResponse("/console", status_code=303, headers=web.HEADERS)
    web.set_session(done, request, cs.make_session(key, token=token))
    done.delete_cookie(web.LOGIN_COOKIE, path="/console", httponly=True, samesite="strict")
    return done


@router.post("/logout")
def logout(request: Request, body: BodyDep, db: SessionDep) -> Response:
    def out(ctx: web.Ctx) -> Response:
        cs.sign_out(ctx.settings.data_dir, ctx.who)
        response = RedirectResponse("/console/login", status_code=303, headers=web.HEADERS)
        response.delete_cookie(web.COOKIE, path="/console")
        return response

    return web.run_page(request, db, (*REG, "producer"), out, body=body)


@router.get("")
def home(request: Request, db: SessionDep) -> Response:
    """The regulator's search; a producer's products and lots."""

    def page(ctx: web.Ctx) -> str:
        if ctx.role == "regulator":
            return regulator.search(ctx.csrf)
        party = ctx.who.party_id or ""
        products = registry.list_products(db, party_id=party, limit=1000)
        lots = [x for p in products for x in registry.list_lots(db, gtin=p.gtin, limit=1000)]
        return producer_pages.home(ctx.csrf, party=party, products=products, lots=lots)

    return web.run_page(request, db, (*REG, "producer"), page)


@router.get("/item")
def item(
    request: Request,
    db: SessionDep,
    code: Annotated[str, Query(max_length=400)] = "",
    nodes: Annotated[int, Query(ge=5, le=MAX_GRAPH_NODES)] = GRAPH_NODES,
) -> Response:
    """Any code -> its backward and forward trace graphs (at most ``nodes`` nodes each) and
    custody timeline."""

    def page(ctx: web.Ctx) -> Response | str:
        text = code.strip()
        if not text:
            return web.html(regulator.search(ctx.csrf, error="Give a code to look up."), 400)
        try:
            ids, graphs, _ = data.trace_graphs(db, text=text, max_nodes=nodes)
        except InvalidInputError as exc:
            problem = f"{exc.message} ({exc.field}: {exc.value})" if exc.value else exc.message
            return web.html(regulator.search(ctx.csrf, text=text, error=problem), 400)
        timeline = custody.timeline(db, text=text)
        return regulator.item(
            ctx.csrf,
            text=text,
            ids=ids,
            graphs=graphs,
            custody=timeline,
            ledger_size=ledger_store.size(db),
        )

    return web.run_page(request, db, REG, page)


@router.get("/receipt/{index}")
def receipt_file(request: Request, db: SessionDep, index: PathIndex) -> Response:
    """The C2SP tlog-proof receipt of the event recorded at ledger ``index``, to download."""

    def page(ctx: web.Ctx) -> Response:
        entry = ledger_store.get_record(db, index=index)
        if not entry.event_hash:
            raise InvalidInputError(
                f"ledger entry {index} is a {entry.kind} entry, not an event: no receipt",
                field="index",
                value=str(index),
            )
        witnesses = checkpoint.configured_witnesses(ctx.settings)
        text = receipt.build_receipt(db, event_hash=entry.event_hash, witnesses=witnesses)
        return web.attachment(text, name=f"entry-{index}.tlog-proof", media="text/plain")

    return web.run_page(request, db, REG, page)


@router.get("/recalls")
def recalls_page(request: Request, db: SessionDep) -> Response:
    def page(ctx: web.Ctx) -> str:
        rows = [recalls.recall_public(r) for r in recalls.list_recalls(db, limit=200)]
        return regulator.recalls(ctx.csrf, rows)

    return web.run_page(request, db, REG, page)


def _lines(text: str, field: str) -> list[str]:
    out = [x.strip() for x in text.splitlines() if x.strip()]
    if len(out) > recalls.MAX_SCOPE:
        raise InvalidInputError(f"at most {recalls.MAX_SCOPE} lines", field=field)
    return out


@router.post("/recalls")
def open_recall(request: Request, db: SessionDep, body: BodyDep) -> Response:
    """Open a recall from the form (lots as ``GTIN LOT`` lines, items as codes)."""

    def page(ctx: web.Ctx) -> Response:
        lots = []
        for line in _lines(ctx.form.get("lots", ""), "lots"):
            parts = line.split()
            if len(parts) != 2:
                raise InvalidInputError(
                    "each lot line is GTIN, a space, then the lot", field="lots", value=line[:80]
                )
            lots.append((parts[0], parts[1]))
        row = recalls.open_recall(
            db,
            data_dir=ctx.settings.data_dir,
            lots=lots,
            items=_lines(ctx.form.get("items", ""), "items"),
            level=need(ctx.form, "level", limit=16),
            reason=need(ctx.form, "reason"),
            opened_by=need(ctx.form, "opened_by", limit=64),
        )
        return RedirectResponse(f"/console/recalls/{row.id}", status_code=303)

    return web.run_page(request, db, REG, page, body=body)


@router.get("/recalls/{recall_id}")
def recall_page(request: Request, db: SessionDep, recall_id: RecallId) -> Response:
    def page(ctx: web.Ctx) -> str:
        doc = build_report(db, row=recalls.get_recall(db, recall_id=recall_id))
        return regulator.recall_report(ctx.csrf, doc)

    return web.run_page(request, db, REG, page)


@router.get("/recalls/{recall_id}/report.{ext}")
def recall_file(request: Request, db: SessionDep, recall_id: RecallId, ext: str) -> Response:
    def page(ctx: web.Ctx) -> Response:
        doc = build_report(db, row=recalls.get_recall(db, recall_id=recall_id))
        if ext == "html":
            return web.attachment(
                render.render_html(doc), name=f"{recall_id}.html", media="text/html"
            )
        if ext != "csv":
            raise InvalidInputError("the report is .csv or .html", field="ext", value=ext[:10])
        buf = io.StringIO()
        render.csv_rows(doc, buf)
        return web.attachment(buf.getvalue(), name=f"{recall_id}.csv", media="text/csv")

    return web.run_page(request, db, REG, page)


@router.get("/recalls/{recall_id}/fsma204/{gtin}/{lot}")
def recall_fsma(
    request: Request,
    db: SessionDep,
    recall_id: RecallId,
    gtin: Annotated[str, Path(max_length=14)],
    lot: Annotated[str, Path(max_length=20)],
) -> Response:
    """The FSMA 204 sortable spreadsheet (XLSX) of a lot the recall names."""

    def page(_ctx: web.Ctx) -> Response:
        row = recalls.get_recall(db, recall_id=recall_id)
        named = {(x.get("gtin"), x.get("lot")) for x in (row.scope or {}).get("lots", [])}
        if (gtin, lot) not in named:
            raise InvalidInputError(
                f"recall {recall_id} does not name lot {lot} of {gtin}", field="lot", value=lot
            )
        result = fsma204.export(db, gtin=gtin, lot=lot)
        with tempfile.TemporaryDirectory() as tmp:
            fsma204.write(result, out_dir=FsPath(tmp))
            content = (FsPath(tmp) / "fsma204.xlsx").read_bytes()
        return web.attachment(
            content,
            name=f"fsma204-{gtin}-{lot}.xlsx",
            media="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    return web.run_page(request, db, REG, page)


@router.get("/deadletters")
def dead_letters(request: Request, db: SessionDep) -> Response:
    def page(ctx: web.Ctx) -> str:
        engine = get_engine(ctx.settings.effective_database_url)
        rows = list_dead_letters(engine, reason=None, device=None, limit=200, offset=0)
        return regulator.dead_letters(ctx.csrf, rows)

    return web.run_page(request, db, REG, page)


@router.get("/ledger")
def ledger_page(request: Request, db: SessionDep) -> Response:
    def page(ctx: web.Ctx) -> str:
        status = data.ledger_status(db, witnesses=checkpoint.configured_witnesses(ctx.settings))
        return regulator.ledger(ctx.csrf, status, data.last_audit(ctx.settings.data_dir))

    return web.run_page(request, db, REG, page)


@router.get("/equipment")
def equipment_page(request: Request, db: SessionDep) -> Response:
    def page(ctx: web.Ctx) -> str:
        return regulator.equipment(ctx.csrf, equipment.overdue(db))

    return web.run_page(request, db, REG, page)


def _violations(ctx: web.Ctx) -> str:
    return regulator.violations(
        ctx.csrf,
        listed=notices.listed_parties(ctx.db),
        decisions=notices.list_violations(ctx.db),
        parties=registry.list_parties(ctx.db, limit=1000),
    )


@router.get("/violations")
def violations_page(request: Request, db: SessionDep) -> Response:
    return web.run_page(request, db, REG, _violations)


@router.post("/violations")
def record_violation(request: Request, db: SessionDep, body: BodyDep) -> Response:
    """Record a serious-violation decision: ledgered and on the public notices at once."""

    def page(ctx: web.Ctx) -> Response:
        row = notices.record_violation(
            db,
            data_dir=ctx.settings.data_dir,
            party_id=need(ctx.form, "party_id", limit=64),
            decision=need(ctx.form, "decision", limit=1000),
            decided_by=need(ctx.form, "decided_by", limit=64),
        )
        return RedirectResponse(f"/notices#{row.id}", status_code=303)

    return web.run_page(request, db, REG, page, body=body)
