"""FastAPI dependencies: the settings, a store session, bounded parameters and bearer auth.

Tokens come from settings, parsed and validated once at start-up
(:attr:`traceability.config.Settings.api_token_table`): ``TRACE_ADMIN_TOKEN`` is the admin
(operator) token, and ``TRACE_API_TOKENS`` lists others as ``token:role[:party_id],...``. An
admin passes every role check; a producer token is tied to its party (routes refuse acting for
another party and show it only its own party's devices and locations; docs/access.md).

The ``Authorization`` header is read exactly: ``Bearer`` and one or more spaces, then an RFC
6750 token68 -- nothing is stripped, so no header can become an empty token. Every configured
token is compared, each in constant time over SHA-256 digests (no early exit, no length leak).

:data:`SessionDep` commits when the route function returns and *before* the response is sent
(``scope="function"``): a failed commit is answered as an error, never as a success.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPBearer
from sqlmodel import Session
from starlette.requests import HTTPConnection

from traceability.config import TOKEN_RE, ApiToken, Role, Settings
from traceability.epcis import apikeys
from traceability.errors import ForbiddenError, UnauthenticatedError
from traceability.store.engine import get_engine, session_scope

ROLES: tuple[Role, ...] = ("producer", "regulator", "admin")
MAX_INT = 2**63 - 1  # the largest integer any route parameter takes (SQL bigint)


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    party_id: str | None = None
    key_id: str | None = None  # set for a party API key (docs/epcis.md)

    def may_act_for(self, party_id: str) -> bool:
        return self.role == "admin" or (self.party_id is not None and self.party_id == party_id)

    @property
    def label(self) -> str:
        """Who asked, as a ledger entry records it (``producer:farm``, ``regulator``)."""
        return f"{self.role}:{self.party_id}" if self.party_id else self.role

    @property
    def sees_all_parties(self) -> bool:
        """Admins and regulators read every party's devices and locations."""
        return self.role in ("admin", "regulator")


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    """One session per request; committed when the handler returns, rolled back on error."""
    with session_scope(engine=get_engine(settings.effective_database_url)) as session:
        yield session


# scope="function": the commit runs before the response is sent (FastAPI >= 0.121)
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

# Bounded integer parameters: use these (or give ge/le yourself) for every int parameter,
# so that no number reaches SQL outside the 64-bit range (tests/unit/api checks every route).
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]
QueryIndex = Annotated[int, Query(ge=0, le=MAX_INT)]
QuerySize = Annotated[int, Query(ge=1, le=MAX_INT)]
PathIndex = Annotated[int, Path(ge=0, le=MAX_INT)]


class _Digests:
    """The configured tokens as SHA-256 digests with their principals."""

    def __init__(self, table: tuple[ApiToken, ...]) -> None:
        self.entries = [
            (hashlib.sha256(t.token.encode()).digest(), Principal(t.role, t.party_id))
            for t in table
        ]

    def find(self, token: str) -> Principal | None:
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        found: Principal | None = None
        for known, principal in self.entries:  # every entry, whatever matched
            if hmac.compare_digest(digest, known) and found is None:
                found = principal
        return found


def token_table(settings: Settings) -> _Digests:
    return _Digests(settings.api_token_table)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token68>`` header, else None (read exactly)."""
    if authorization is None:
        return None
    scheme, sep, rest = authorization.partition(" ")
    if not sep or scheme.lower() != "bearer":
        return None
    token = rest.lstrip(" ")  # RFC 7235: 1*SP between scheme and credentials; nothing else
    return token if TOKEN_RE.fullmatch(token) else None


class BearerAuth(HTTPBearer):
    """Declares the HTTP bearer scheme in OpenAPI (the docs' "Authorize") and reads the header
    with :func:`bearer_token` (HTTPBearer's own reading strips whitespace)."""

    async def __call__(self, request: HTTPConnection) -> Any:
        return bearer_token(request.headers.get("authorization"))


bearer_scheme = BearerAuth(
    auto_error=False,
    description="TRACE_ADMIN_TOKEN, a token from TRACE_API_TOKENS, or a party API key "
    "(docs/access.md, docs/epcis.md)",
)


def authenticate(request: Request, token: str | None) -> Principal | None:
    """The caller of ``token``: a configured token, else a party API key (``sy_...``, looked
    up by its id and compared by digest; a party key acts as a producer of its party)."""
    if token is None:
        return None
    table: _Digests = request.app.state.tokens
    found = table.find(token)
    if found is not None or not apikeys.looks_like_key(token):
        return found
    settings: Settings = request.app.state.settings
    with session_scope(engine=get_engine(settings.effective_database_url)) as session:
        owner = apikeys.authenticate_key(session, key=token)
    if owner is None:
        return None
    return Principal("producer", owner.party_id, owner.key_id)


def _principal(request: Request, token: str | None, wanted: set[str]) -> Principal:
    principal = authenticate(request, token)
    if principal is None:
        raised = request.headers.get("authorization") is not None
        raise UnauthenticatedError(
            "the bearer token is not valid" if raised else "a bearer token is required",
            field="authorization",
        )
    if principal.role not in wanted:
        raise ForbiddenError(
            f"role {principal.role} may not do this (needs {' or '.join(sorted(wanted))})",
            field="authorization",
        )
    return principal


def require_role(*roles: Role) -> Any:
    """A dependency admitting a bearer token with one of ``roles`` (admin always admitted)."""
    wanted = set(roles) | {"admin"}

    def dependency(
        request: Request, token: Annotated[str | None, Depends(bearer_scheme)]
    ) -> Principal:
        return _principal(request, token, wanted)

    return dependency


def optional_principal(
    request: Request, token: Annotated[str | None, Depends(bearer_scheme)]
) -> Principal | None:
    """The caller if a token was given (a wrong token is still refused), else None (public)."""
    if token is None and request.headers.get("authorization") is None:
        return None
    return _principal(request, token, set(ROLES))


ProducerDep = Annotated[Principal, Depends(require_role("producer"))]
RegulatorDep = Annotated[Principal, Depends(require_role("regulator"))]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]
AnyRoleDep = Annotated[Principal, Depends(require_role("producer", "regulator"))]
MaybeDep = Annotated[Principal | None, Depends(optional_principal)]


def require_party(principal: Principal, party_id: str) -> None:
    if not principal.may_act_for(party_id):
        raise ForbiddenError(
            f"this token may not act for party {party_id}", field="party_id", value=party_id
        )


def visible_party(principal: Principal, party_id: str | None) -> str | None:
    """The party filter a list may use: producers see only their own party (asking for
    another is 403); admins and regulators see all, or the one asked for."""
    if principal.sees_all_parties:
        return party_id
    if principal.party_id is None:  # parse_api_tokens refuses this; defence in depth
        raise ForbiddenError("this producer token belongs to no party", field="authorization")
    if party_id is not None and party_id != principal.party_id:
        raise ForbiddenError(
            f"this token may not read party {party_id}", field="party_id", value=party_id
        )
    return principal.party_id
