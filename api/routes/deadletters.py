"""``GET /deadletters`` and ``GET /deadletters/{id}``: regulators (and admins) only.

A dead letter keeps the original payload bytes, the device and the reason (docs/protocol.md §5), so
reading them needs ``require_role("regulator")`` (an admin token passes every role check).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import Limit, Offset, SettingsDep, require_role
from api.jsonbody import StrictJSONRoute
from traceability.deadletters.store import get_dead_letter, list_dead_letters
from traceability.store.engine import get_engine

router = APIRouter(
    route_class=StrictJSONRoute,
    tags=["dead letters"],
    dependencies=[Depends(require_role("regulator"))],
)


@router.get("/deadletters")
def list_deadletters(
    settings: SettingsDep,
    reason: Annotated[str | None, Query(description="a reason code (docs/protocol.md §5)")] = None,
    device: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    engine = get_engine(settings.effective_database_url)
    rows = list_dead_letters(engine, reason=reason, device=device, limit=limit, offset=offset)
    return {"dead_letters": rows, "limit": limit, "offset": offset}


@router.get("/deadletters/{dead_letter_id}")
def show_deadletter(settings: SettingsDep, dead_letter_id: int) -> dict[str, Any]:
    engine = get_engine(settings.effective_database_url)
    return get_dead_letter(engine, dead_letter_id)
