"""The one place where Suyuan errors become HTTP statuses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from traceability.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TraceError,
    VerificationError,
)

STATUS: list[tuple[type[TraceError], int]] = [
    (NotFoundError, 404),
    (ConflictError, 409),
    (VerificationError, 422),
    (InvalidInputError, 400),
    (TraceError, 500),
]


def status_for(exc: TraceError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def install(app: FastAPI) -> None:
    @app.exception_handler(TraceError)
    async def _trace_error(_request: Request, exc: TraceError) -> JSONResponse:
        return JSONResponse(status_code=status_for(exc), content={"error": exc.to_dict()})
