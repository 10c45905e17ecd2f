"""What every consumer-facing page shares: its response headers, the per-client rate limits
(scans and reports) and the error answers (an HTML page for browsers, else the API's JSON
error). docs/web.md "Rate limits"."""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from traceability.config import Settings
from traceability.consumer.ratelimit import TokenBucket
from traceability.errors import TraceError
from traceability.resolver.i18n import t
from traceability.resolver.page import render_error_page, render_notice_page

# pages load nothing, run nothing; a recall must show at once, so nothing is cached unchecked
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
    "Vary": "Accept, Accept-Language",
}


class ConsumerLimits:
    """The app's rate limiters and the salt of the client hashes (one per app)."""

    def __init__(self, settings: Settings) -> None:
        self.scans = TokenBucket(
            rate=settings.consumer_scan_rate, burst=settings.consumer_scan_burst
        )
        self.reports = TokenBucket(
            rate=settings.consumer_report_rate, burst=settings.consumer_report_burst
        )
        salt = settings.consumer_scan_salt
        self.salt = salt.encode() if salt else secrets.token_bytes(32)
        self.max_report = settings.consumer_report_max_bytes


def limits(request: Request) -> ConsumerLimits:
    found: ConsumerLimits | None = getattr(request.app.state, "consumer", None)
    if found is None:
        found = ConsumerLimits(request.app.state.settings)
        request.app.state.consumer = found
    return found


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "").lower()


def page_headers() -> dict[str, str]:
    return dict(PAGE_HEADERS)


def error_answer(request: Request, exc: TraceError, status: int, lang: str) -> Response:
    headers = page_headers()
    if status == 429:
        headers["Retry-After"] = str(exc.value)
    if not wants_html(request):
        return JSONResponse(
            status_code=status,
            content={"error": exc.to_dict()},
            headers={"Retry-After": headers["Retry-After"]} if status == 429 else None,
        )
    if status == 429:
        page = render_notice_page(
            lang=lang, title_key="too_many", lines=[t("too_many_help", lang)], back=None
        )
    else:
        page = render_error_page(
            lang=lang, title_key="bad_link", help_key="bad_link_help", message=exc.message,
            field=exc.field, value=exc.value,
        )  # fmt: skip
    return HTMLResponse(page, status_code=status, headers=headers)


class RateLimitedError(TraceError):
    code = "rate_limited"


def too_many(request: Request, wait: int, lang: str) -> Response:
    exc = RateLimitedError(
        f"too many requests from this client; retry after {wait} s",
        field="client",
        value=wait,
    )
    return error_answer(request, exc, 429, lang)
