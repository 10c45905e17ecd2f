"""``GET /deadletters`` and ``GET /deadletters/{id}`` for regulators and operators."""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request

from gateway.deadletters import get_dead_letter, list_dead_letters
from traceability.store.service import get_engine


def _admin_token_only(request: Request,
                      authorization: Annotated[str | None, Header()] = None) -> None:
    """Until ``api.deps.require_role`` exists: the admin bearer token is required."""
    expected = f"Bearer {request.app.state.settings.admin_token}"
    if authorization is None or not secrets.compare_digest(authorization, expected):
        raise HTTPException(status_code=401, detail="regulator or admin credentials required")


def regulator_dependency() -> Callable[..., Any]:
    try:
        return importlib.import_module("api.deps").require_role("regulator")  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return _admin_token_only


router = APIRouter(tags=["dead letters"], dependencies=[Depends(regulator_dependency())])


@router.get("/deadletters")
def list_deadletters(
    request: Request,
    reason: Annotated[str | None, Query(description="a DESIGN.md §3 reason code")] = None,
    device: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    engine = get_engine(request.app.state.settings.effective_database_url)
    rows = list_dead_letters(engine, reason=reason, device=device, limit=limit, offset=offset)
    return {"dead_letters": rows, "limit": limit, "offset": offset}


@router.get("/deadletters/{dead_letter_id}")
def show_deadletter(request: Request, dead_letter_id: int) -> dict[str, Any]:
    engine = get_engine(request.app.state.settings.effective_database_url)
    return get_dead_letter(engine, dead_letter_id)
