"""Consumer input: the page's "report a problem" form (``POST /consumer/report``) and the
per-client limits of page views (scans) and reports. docs/consumer.md.

Rate limits: an in-process token bucket per client address (the TCP peer; ``X-Forwarded-For``
is not trusted), ``TRACE_CONSUMER_SCAN_RATE``/``_BURST`` and ``TRACE_CONSUMER_REPORT_RATE``/
``_BURST``; over it a 429 with ``Retry-After``. A form body over
``TRACE_CONSUMER_REPORT_MAX_BYTES`` is a 413. No CSRF token: the form changes nothing but adds
a report, and the CSP's ``form-action 'self'`` keeps it on this host.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import Session

from api.pages import client_address, error_answer, limits, page_headers, too_many, wants_html
from traceability.config import Settings
from traceability.consumer.reports import parse_form, store_report
from traceability.consumer.scans import client_hash, item_key
from traceability.errors import (
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
)
from traceability.registry.models import Product
from traceability.resolver import parse_request
from traceability.resolver.i18n import LANGS, choose_lang, t
from traceability.resolver.page import render_notice_page
from traceability.store.engine import get_engine

router = APIRouter(tags=["consumer"])
FORM = "application/x-www-form-urlencoded"


async def _body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLargeError(
            f"the report is {length} bytes; at most {limit}", field="body", value=int(length)
        )
    out = bytearray()
    async for chunk in request.stream():
        out += chunk
        if len(out) > limit:
            raise PayloadTooLargeError(f"the report is over {limit} bytes", field="body")
    return bytes(out)


@router.post("/consumer/report", response_model=None)
async def report(request: Request) -> Response:
    """Store a consumer's problem report about the item of a Digital Link (form post)."""
    lim = limits(request)
    lang = choose_lang(request.headers.get("accept-language"))
    wait = lim.reports.take(client_address(request))
    if wait is not None:
        return too_many(request, wait, lang)
    try:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != FORM:
            raise InvalidInputError(
                f"send the form as {FORM}", code="media_type", field="content-type",
                value=ctype[:60],
            )  # fmt: skip
        form = parse_form(await _body(request, lim.max_report))
        form_lang = form.get("lang", "")
        lang = form_lang if form_lang in LANGS else lang
        link = form.get("link", "")
        if not link:
            raise InvalidInputError("link is required", code="required", field="link")
        dl = parse_request(path=link.split("?", 1)[0])
        gtin, quals = dl.primary[1], dict(dl.qualifiers)
        now = datetime.now(UTC)
        settings: Settings = request.app.state.settings
        with Session(get_engine(settings.effective_database_url)) as session:
            if session.get(Product, gtin) is None:
                raise NotFoundError(
                    f"no product with GTIN {gtin}", code="unknown_product", field="link",
                    value=gtin,
                )  # fmt: skip
            row = store_report(
                session,
                item=item_key(gtin, quals.get("10"), quals.get("21")),
                gtin=gtin,
                kind=form.get("kind", ""),
                message=form.get("message", ""),
                contact=form.get("contact", ""),
                client=client_hash(client_address(request), salt=lim.salt, at=now),
                lang=lang,
            )
            session.commit()
            number, message = row.id, row.message
    except PayloadTooLargeError as exc:
        return error_answer(request, exc, 413, lang)
    except NotFoundError as exc:
        return error_answer(request, exc, 404, lang)
    except InvalidInputError as exc:
        status = 415 if exc.code == "media_type" else 400
        return error_answer(request, exc, status, lang)
    if not wants_html(request):
        return JSONResponse({"report": number, "status": "stored"}, status_code=201)
    page = render_notice_page(
        lang=lang,
        title_key="report_thanks",
        lines=[f"{t('report_ref', lang)}: {number}", message],
        back=link.split("?", 1)[0],  # a checked Digital Link path, escaped on output
    )
    return HTMLResponse(page, status_code=201, headers=page_headers())
