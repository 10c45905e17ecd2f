"""GS1-Conformant resolver: ``/01/{gtin}[/22/…][/10/{lot}][/21/{serial}]`` and
``/.well-known/gs1resolver``. Thin: parsing, lookup and pages are in ``traceability.resolver``.

Content negotiation: ``Accept: application/linkset+json`` (or ``application/json``) gives the
RFC 9264 linkset, anything else the consumer page; ``?linkType=gs1:…`` a 307 redirect
(``linkType=all``: the linkset). Errors are pages for browsers, ``{"error": …}`` JSON otherwise.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from api import consumer_scans as scan_view
from api import pages as consumer
from api.pages import PAGE_HEADERS
from traceability.config import Settings
from traceability.errors import InvalidInputError, NotFoundError, TraceError
from traceability.identifiers import DigitalLink
from traceability.ledger import note
from traceability.ledger.keyfile import read_private
from traceability.resolver import ItemView, links, look_up, parse_request, sections
from traceability.resolver.details import details
from traceability.resolver.i18n import choose_lang
from traceability.resolver.item import SUSPICIOUS, UNVERIFIED, VERIFIED
from traceability.resolver.page import render_error_page, render_item_page
from traceability.resolver.request import RequestTooLongError
from traceability.store.engine import get_engine

router = APIRouter(tags=["resolver"])
LINKSET = "application/linkset+json"


@lru_cache(maxsize=4)
def _log_key(path: str) -> str | None:
    """The log's public verifier key, when the log key exists (never created here)."""
    try:
        return note.Signer.parse(read_private(Path(path))).verifier.vkey()
    except (OSError, TraceError):
        return None


def _wants_linkset(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    return LINKSET in accept or ("application/json" in accept and "text/html" not in accept)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _error(request: Request, exc: TraceError, status: int) -> Response:
    if "text/html" not in request.headers.get("accept", "").lower():
        return JSONResponse(status_code=status, content={"error": exc.to_dict()})
    found = status == 404
    page = render_error_page(
        lang=choose_lang(request.headers.get("accept-language")),
        title_key="not_found" if found else "bad_link",
        help_key="not_found_help" if found else "bad_link_help",
        message=exc.message,
        field=exc.field,
        value=exc.value,
    )
    return HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)


@router.get("/.well-known/gs1resolver")
def well_known(request: Request) -> dict[str, Any]:
    """The resolver description (GS1-Conformant Resolver standard)."""
    return links.resolver_description(base_url=_base(request))


@router.head("/01/{rest:path}", response_model=None, operation_id="resolve_head")
@router.get("/01/{rest:path}", response_model=None, operation_id="resolve")
def resolve(rest: str, request: Request) -> Response:
    """Resolve a GS1 Digital Link for a GTIN: consumer page, linkset or a link-type redirect."""
    raw_path = bytes(request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    query = bytes(request.scope.get("query_string") or b"").decode("latin-1")
    settings: Settings = request.app.state.settings
    lang = choose_lang(request.headers.get("accept-language"))
    try:
        dl = parse_request(path=raw_path, query=query)
        link_type = dl.extras.get("linkType")
        page_view = not (_wants_linkset(request) or link_type)
        if page_view and request.method == "GET":  # a scan: rate limited per client
            wait = consumer.limits(request).scans.take(consumer.client_address(request))
            if wait is not None:
                return consumer.too_many(request, wait, lang)
        with Session(get_engine(settings.effective_database_url)) as session:
            view = look_up(session, dl=dl, today=datetime.now(UTC).date())
            if page_view:
                return _page(request, session, dl, view, lang, raw_path)
    except RequestTooLongError as exc:
        return _error(request, exc, 414)
    except InvalidInputError as exc:
        return _error(request, exc, 400)
    except NotFoundError as exc:
        return _error(request, exc, 404)
    base = _base(request)
    if _wants_linkset(request) or link_type == "all":
        body = links.linkset(dl, base_url=base, receipt_event=view.latest_event)
        return JSONResponse(
            body, media_type=LINKSET, headers={"Cache-Control": "no-cache", "Vary": "Accept"}
        )
    href = links.target_for(
        dl, link_type=link_type or "", base_url=base, receipt_event=view.latest_event
    )
    if href is None:
        missing = NotFoundError(
            f"link type {link_type!r} is not available for this item; available: "
            + ", ".join(links.available_link_types()),
            code="unknown_link_type",
            field="linkType",
            value=(link_type or "")[:100],
        )
        return _error(request, missing, 404)
    return RedirectResponse(href, status_code=307)


def _page(
    request: Request, session: Session, dl: DigitalLink, view: ItemView, lang: str, path: str
) -> Response:
    """The consumer page; a GET records the scan and reads the clone signals (never the
    ledger: a scan changes no trace and no ledgered verdict)."""
    settings: Settings = request.app.state.settings
    now = datetime.now(UTC)
    reasons: list[str] = []
    if request.method == "GET":
        signals = scan_view.record(
            session,
            request=request,
            dl=dl,
            view=view,
            now=now,
            salt=consumer.limits(request).salt,
            lang=lang,
        )
        reasons = sections.clone_reasons(signals, lang)
        if reasons and view.verdict in (VERIFIED, UNVERIFIED, SUSPICIOUS):
            raised = tuple(f"clone_{s.kind}" for s in signals if s.raised)
            view = replace(view, verdict=SUSPICIOUS, reasons=view.reasons + raised)
    more = details(session, view, at=now)
    session.commit()
    receipt = None
    if view.latest_event:
        receipt = links.target_for(
            dl, link_type="verificationService", base_url="", receipt_event=view.latest_event
        )
    page = render_item_page(
        view,
        lang=lang,
        receipt_href=receipt,
        log_key=_log_key(str(settings.effective_log_key_file)),
        details=more,
        clone_reasons=reasons,
        report_link=path.split("?", 1)[0],
        today=now.date(),
    )
    return HTMLResponse(page, headers=PAGE_HEADERS)
