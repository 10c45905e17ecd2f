"""Party API keys (docs/epcis.md): created (the key is in the answer once), listed, revoked.

An admin manages every party's keys, a producer token its own party's. A party API key
cannot manage keys (403): a leaked key must not mint its successors.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Principal, ProducerDep, SessionDep, require_party, visible_party
from api.jsonbody import StrictJSONRoute
from traceability.epcis import apikeys
from traceability.errors import ForbiddenError

router = APIRouter(route_class=StrictJSONRoute, tags=["api keys"])
KeyId = Annotated[str, Path(min_length=1, max_length=40)]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party_id: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=100)


def _not_a_key(who: Principal) -> None:
    if who.key_id is not None:
        raise ForbiddenError("a party API key cannot manage API keys", field="authorization")


@router.post("/apikeys", status_code=201)
def create_key(data: KeyCreate, session: SessionDep, who: ProducerDep) -> dict[str, Any]:
    """A new key; ``key`` is shown in this answer only (the store keeps its digest)."""
    _not_a_key(who)
    require_party(who, data.party_id)
    row, key = apikeys.create_key(session, party_id=data.party_id, name=data.name)
    return {**apikeys.key_public(row), "key": key}


@router.get("/apikeys")
def list_keys(
    session: SessionDep,
    who: ProducerDep,
    party_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    _not_a_key(who)
    party = visible_party(who, party_id)
    return [apikeys.key_public(r) for r in apikeys.list_keys(session, party_id=party)]


@router.post("/apikeys/{key_id}/revoke")
def revoke_key(key_id: KeyId, session: SessionDep, who: ProducerDep) -> dict[str, Any]:
    _not_a_key(who)
    row = apikeys.get_key(session, key_id=key_id)
    require_party(who, row.party_id)
    return apikeys.key_public(apikeys.revoke_key(session, key_id=key_id))
