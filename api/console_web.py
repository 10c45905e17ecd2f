"""The console's web plumbing: its session cookie, CSRF checks, page headers and HTML errors.

:func:`run_page` is what every console route calls: it reads the session cookie (none or a bad
one: a 303 to the sign-in page), checks the role (else a 403 page), on a POST parses the form
and checks its CSRF token and Origin (else a 403 page), then runs the page function; a
:class:`TraceError` becomes an HTML error page with the API's status for it (the transaction is
rolled back). Session values and tokens are made in :mod:`traceability.console.session`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.errors import status_for
from traceability.config import Settings
from traceability.console import public
from traceability.console import session as cs
from traceability.console.forms import parse_form
from traceability.console.html import error_page
from traceability.errors import ForbiddenError, TraceError

COOKIE = "suyuan_console"
LOGIN_COOKIE = "suyuan_login"
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' "
    "data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass
class Ctx:
    """A signed-in request: who, its CSRF token, its form (POST) and the store session."""

    who: cs.ConsoleSession
    csrf: str
    settings: Settings
    db: Session
    form: dict[str, str] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return "regulator" if self.who.role == "admin" else self.who.role


def describe(exc: TraceError) -> str:
    """The error's message with the field and value it names (the page escapes it)."""
    if exc.field is None:
        return exc.message
    value = "" if exc.value is None else f" = {str(exc.value)[:80]}"
    return f"{exc.message} (field {exc.field}{value})"


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def key_of(request: Request) -> bytes:
    return cs.session_key(settings_of(request).data_dir)


def html(page: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(page, status_code=status, headers=HEADERS)


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def current(request: Request) -> cs.ConsoleSession | None:
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    settings = settings_of(request)
    return cs.read_session(
        key_of(request),
        value,
        tokens=settings.api_token_table,
        signed_out=cs.signed_out(settings.data_dir),
    )


def same_origin(request: Request) -> bool:
    """A POST's Origin (when the browser sends one) is this server's."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin.rstrip("/") == str(request.base_url).rstrip("/")


def to_login() -> Response:
    return RedirectResponse("/console/login", status_code=303, headers=HEADERS)


def run_page(
    request: Request,
    db: Session,
    roles: tuple[str, ...],
    fn: Callable[[Ctx], Response | str],
    *,
    body: bytes | None = None,
) -> Response:
    """Authenticate, authorise, check CSRF on a POST, then render ``fn``'s page."""
    who = current(request)
    if who is None:
        return to_login()
    key = key_of(request)
    ctx = Ctx(who=who, csrf=cs.csrf_token(key, who), settings=settings_of(request), db=db)
    try:
        if who.role not in roles:
            raise ForbiddenError(
                f"this page is for the {' or '.join(r for r in roles if r != 'admin')} role; "
                f"you are signed in as {who.role}",
                field="role",
            )
        if request.method == "POST":
            if not same_origin(request):
                raise ForbiddenError("the form was posted from another origin", field="origin")
            ctx.form = parse_form(body or b"", request.headers.get("content-type"))
            if not cs.same(ctx.form.get("csrf"), ctx.csrf):
                raise ForbiddenError(
                    "the form's CSRF token is missing or wrong: reload the page and try again",
                    code="csrf",
                    field="csrf",
                )
        out = fn(ctx)
    except TraceError as exc:
        db.rollback()
        status = status_for(exc)
        return html(error_page(status, exc.code, describe(exc), role=ctx.role), status)
    return html(out) if isinstance(out, str) else out


def set_session(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=cs.SESSION_SECONDS,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )


def login_response(request: Request, *, message: str | None = None, status: int = 200) -> Response:
    """The sign-in page with a fresh pre-session nonce (a short-lived cookie) whose MAC the
    form carries as its CSRF token."""
    nonce = cs.new_nonce()
    page = public.login(cs.login_csrf(key_of(request), nonce), message=message)
    response = html(page, status)
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=cs.LOGIN_SECONDS,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )
    return response


def error(request: Request, exc: TraceError, status: int | None = None) -> Response:
    code = status or status_for(exc)
    return html(error_page(code, exc.code, describe(exc)), code)


def attachment(content: Any, *, name: str, media: str) -> Response:
    return Response(
        content,
        media_type=media,
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )
