"""Special-equipment lifecycle through the API: ``POST /equipment/{code}/lifecycle`` (thin over
:mod:`traceability.equipment.lifecycle`); the reads are in ``api/routes/trace.py``.

Who may record what (docs/access.md): a producer token records registration, installation,
maintenance, repair and decommissioning for its own party (``party_id`` defaults to it;
maintenance only for a party with the maintenance role); a regulator records inspections
(the inspection body is ``party_id``, required) and decommissioning; the admin anything. Each
step is ledgered as an event signed by the platform on the caller's behalf.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AnyRoleDep, SessionDep, SettingsDep, require_party
from api.jsonbody import StrictJSONRoute
from traceability.equipment import lifecycle
from traceability.errors import ForbiddenError, InvalidInputError
from traceability.events.timing import TimeRule
from traceability.registry.ids import ID_PATTERN

router = APIRouter(route_class=StrictJSONRoute, tags=["equipment"])
PRODUCER_STEPS = ("registration", "installation", "maintenance", "repair", "decommissioning")
REGULATOR_STEPS = ("inspection", "decommissioning")


class LifecycleStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: str = Field(max_length=32, description=", ".join(lifecycle.STEPS))
    at: str | None = Field(default=None, max_length=64, description="RFC 3339; default now")
    party_id: str | None = Field(default=None, pattern=ID_PATTERN)
    location_id: str | None = Field(default=None, pattern=ID_PATTERN)
    giai: str | None = Field(default=None, max_length=160, description="for registration")
    disposition: str | None = Field(default=None, max_length=32, description="inspection verdict")


@router.post("/equipment/{code}/lifecycle", status_code=status.HTTP_201_CREATED)
def record_lifecycle(
    code: Annotated[str, Path(min_length=1, max_length=64)],
    data: LifecycleStep,
    session: SessionDep,
    settings: SettingsDep,
    who: AnyRoleDep,
) -> dict[str, Any]:
    """Record one lifecycle step of the unit with special-equipment code ``code``; the
    compliance (``GET /equipment/overdue``) counts it at once."""
    party_id = data.party_id or who.party_id
    if who.role == "producer":
        if data.step not in PRODUCER_STEPS and data.step in lifecycle.STEPS:
            raise ForbiddenError(
                f"a producer token may not record an {data.step} (regulators do)", field="step"
            )
        require_party(who, party_id or "")
    elif (
        who.role == "regulator"
        and data.step not in REGULATOR_STEPS
        and data.step in lifecycle.STEPS
    ):
        raise ForbiddenError(
            f"a regulator token records inspections and decommissioning, not {data.step}",
            field="step",
        )
    if party_id is None:
        raise InvalidInputError("party_id is required: the accountable party", field="party_id")
    return lifecycle.record_step(
        session,
        data_dir=settings.data_dir,
        code=code,
        step=data.step,
        party_id=party_id,
        by=who.label,
        at=data.at,
        giai=data.giai,
        location_id=data.location_id,
        disposition=data.disposition,
        time_rule=TimeRule.from_settings(settings),
    )
