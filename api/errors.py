"""The one place where errors become HTTP answers, all in one shape.

Every error answer of the API, whatever raised it (a :class:`TraceError`, FastAPI's request
validation, a Starlette ``HTTPException`` such as an unknown path or method, a database error,
an unexpected exception), is ``{"error": {"code", "message", "field"?, ...}}``: ``code`` is
stable and machine-readable, ``message`` says what is wrong, ``field`` names the parameter or
body member when there is one. Nothing from the request is echoed raw: values are shortened,
lone surrogates replaced and non-finite numbers written as text, so rendering an error can
never fail in turn.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import sqlalchemy.exc as sa_exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from traceability.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    TraceError,
    UnauthenticatedError,
    UnavailableError,
    VerificationError,
)

log = logging.getLogger(__name__)

STATUS: list[tuple[type[TraceError], int]] = [
    (UnauthenticatedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (PayloadTooLargeError, 413),
    (VerificationError, 422),
    (InvalidInputError, 400),
    (UnavailableError, 503),
    (TraceError, 500),
]

# the code of a Starlette HTTPException by status (unknown path, method, ...)
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
}
MAX_SHOWN = 200  # characters of a request value an error repeats


def status_for(exc: TraceError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def safe(value: Any, depth: int = 0) -> Any:
    """``value`` made renderable as JSON: strings shortened and without lone surrogates,
    non-finite floats as text, containers shallow, anything else as its repr."""
    if isinstance(value, str):
        text = value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> '?'
        return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else safe(f"{str(value)[:20]}... (too large)")
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth < 3 and isinstance(value, dict):
        return {safe(str(k)): safe(v, depth + 1) for k, v in list(value.items())[:20]}
    if depth < 3 and isinstance(value, list | tuple):
        return [safe(v, depth + 1) for v in list(value)[:20]]
    return safe(repr(value)[:MAX_SHOWN])


def error_response(
    status: int, error: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": safe(error)}, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "events", 0, "quantity")`` -> ``body.events[0].quantity``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def validation_error(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """FastAPI/pydantic validation errors as one error: the first names field and message,
    all are listed (without the offending input, which may be huge or unrenderable)."""
    items = []
    for e in errors[:20]:
        loc = e.get("loc", ())
        if e.get("type") == "json_invalid":  # loc is ("body", <character offset>)
            loc = loc[:1]
        msg = str(e.get("msg", "invalid"))
        ctx = e.get("ctx") or {}
        if e.get("type") == "json_invalid" and ctx.get("error"):
            msg = f"request body is not valid JSON: {ctx['error']}"
        items.append({"field": _field(loc), "message": msg, "type": str(e.get("type", ""))})
    first = items[0] if items else {"field": "", "message": "invalid request"}
    code = "json_invalid" if first.get("type") == "json_invalid" else "invalid"
    out: dict[str, Any] = {"code": code, "message": f"{first['field']}: {first['message']}"}
    if first["field"]:
        out["field"] = first["field"]
    out["errors"] = items
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(TraceError)
    async def _trace_error(_request: Request, exc: TraceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, UnauthenticatedError) else None
        return error_response(status_for(exc), exc.to_dict(), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, validation_error(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = getattr(exc, "error", None)
        if not isinstance(error, dict):
            code = HTTP_CODES.get(exc.status_code, "error")
            error = {"code": code, "message": str(exc.detail)}
        return error_response(exc.status_code, error, dict(exc.headers or {}) or None)

    @app.exception_handler(sa_exc.IntegrityError)
    async def _integrity(_request: Request, exc: sa_exc.IntegrityError) -> JSONResponse:
        log.info("refused by a database constraint: %s", exc.orig)
        return error_response(
            409,
            {
                "code": "conflict",
                "message": "the change conflicts with what is stored (a uniqueness or "
                "reference rule of the database refused it); nothing was saved",
            },
        )

    @app.exception_handler(sa_exc.DataError)
    async def _data(_request: Request, exc: sa_exc.DataError) -> JSONResponse:
        log.info("refused by the database as data: %s", exc.orig)
        return error_response(
            400,
            {"code": "invalid", "message": "a value cannot be stored (out of range or invalid)"},
        )

    @app.exception_handler(sa_exc.OperationalError)
    async def _operational(_request: Request, exc: sa_exc.OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return error_response(
            503,
            {"code": "unavailable", "message": "the database cannot be reached; try again"},
            {"Retry-After": "5"},
        )

    @app.exception_handler(sa_exc.DBAPIError)
    async def _dbapi(_request: Request, exc: sa_exc.DBAPIError) -> JSONResponse:
        log.error("the database refused the request: %s", exc.orig)
        return error_response(
            500,
            {
                "code": "store_error",
                "message": "the database refused the request; nothing was saved (see the log)",
            },
        )

    @app.exception_handler(OverflowError)
    async def _overflow(_request: Request, exc: OverflowError) -> JSONResponse:
        return error_response(
            400, {"code": "out_of_range", "message": f"a number is out of range: {exc}"}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(
            500,
            {"code": "internal", "message": f"internal error ({type(exc).__name__}); see the log"},
        )
