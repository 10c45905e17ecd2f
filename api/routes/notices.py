"""Public notices (docs/console.md): ``GET /notices`` (HTML), ``/notices.atom`` (RFC 4287)
and ``/notices.json`` (JSON Feed 1.1) -- recalls and serious-violation decisions, each with
the ledger entry that proves it. No token: they are public the moment they are recorded."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.console_web import HEADERS
from api.deps import SessionDep
from api.jsonbody import StrictJSONRoute
from traceability.console import public
from traceability.notices import feeds
from traceability.notices import service as notices

router = APIRouter(route_class=StrictJSONRoute, tags=["notices"])
Count = Annotated[int, Query(ge=1, le=notices.MAX_NOTICES)]
FEED_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/notices", response_class=HTMLResponse, include_in_schema=False)
def notices_page(session: SessionDep, limit: Count = 50) -> HTMLResponse:
    page = public.page(notices.list_notices(session, limit=limit))
    return HTMLResponse(page, headers={**HEADERS, "Cache-Control": "no-cache"})


@router.get("/notices.atom", response_class=Response)
def notices_atom(request: Request, session: SessionDep, limit: Count = 50) -> Response:
    """Recall notices and serious-violation decisions as an Atom feed."""
    body = feeds.atom(notices.list_notices(session, limit=limit), base=_base(request))
    return Response(body, media_type="application/atom+xml", headers=FEED_HEADERS)


@router.get("/notices.json", response_class=Response)
def notices_json(request: Request, session: SessionDep, limit: Count = 50) -> Response:
    """Recall notices and serious-violation decisions as a JSON Feed 1.1."""
    body = feeds.json_feed(notices.list_notices(session, limit=limit), base=_base(request))
    return Response(body, media_type="application/feed+json", headers=FEED_HEADERS)
