"""FastAPI dependencies: the settings, a store session, and role-based bearer-token auth.

Tokens come from settings: ``TRACE_ADMIN_TOKEN`` is the admin (operator) token, and
``TRACE_API_TOKENS`` lists others as ``token:role[:party_id],...``. An admin passes every role
check; a producer token is tied to its party (routes refuse acting for another party).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Header, HTTPException, Query, Request
from sqlmodel import Session

from traceability.config import Settings
from traceability.store.engine import get_engine, session_scope

Role = Literal["producer", "regulator", "admin"]
ROLES: tuple[Role, ...] = ("producer", "regulator", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    party_id: str | None = None

    def may_act_for(self, party_id: str) -> bool:
        return self.role == "admin" or self.party_id == party_id


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    """One session per request; committed when the handler returns, rolled back on error."""
    with session_scope(engine=get_engine(settings.effective_database_url)) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

# paging parameters shared by the list endpoints
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0)]


def parse_tokens(spec: str) -> dict[str, Principal]:
    """``token:role[:party_id],...`` -> {token: Principal}; malformed entries are refused."""
    out: dict[str, Principal] = {}
    for item in (x.strip() for x in spec.split(",")):
        if not item:
            continue
        parts = item.split(":")
        if len(parts) not in (2, 3) or parts[1] not in ROLES or not parts[0]:
            raise ValueError(
                f"TRACE_API_TOKENS entry must be token:role[:party_id], got "
                f"{parts[0][:4]}...:{parts[1] if len(parts) > 1 else ''}"
            )
        role: Role = parts[1]
        out[parts[0]] = Principal(role=role, party_id=parts[2] if len(parts) == 3 else None)
    return out


def authenticate(settings: Settings, authorization: str | None) -> Principal | None:
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[len("Bearer ") :].strip()
    found: Principal | None = None
    if secrets.compare_digest(token.encode(), settings.admin_token.encode()):
        found = Principal(role="admin")
    for known, principal in parse_tokens(settings.api_tokens).items():
        if secrets.compare_digest(token.encode(), known.encode()):
            found = found or principal
    return found


def require_role(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting a bearer token with one of ``roles`` (admin always admitted)."""
    wanted = set(roles) | {"admin"}

    def dependency(
        settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
    ) -> Principal:
        principal = authenticate(settings, authorization)
        if principal is None:
            raise HTTPException(
                status_code=401,
                detail="bearer token required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if principal.role not in wanted:
            raise HTTPException(
                status_code=403,
                detail=f"role {principal.role} may not do this "
                f"(needs {' or '.join(sorted(wanted))})",
            )
        return principal

    return dependency


ProducerDep = Annotated[Principal, Depends(require_role("producer"))]
RegulatorDep = Annotated[Principal, Depends(require_role("regulator"))]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]
AnyRoleDep = Annotated[Principal, Depends(require_role("producer", "regulator"))]


def require_party(principal: Principal, party_id: str) -> None:
    if not principal.may_act_for(party_id):
        raise HTTPException(status_code=403, detail=f"this token may not act for party {party_id}")
