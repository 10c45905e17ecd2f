"""Recording a consumer-page view as a scan: who scanned (from the bearer token, if any), where
(``?loc=lat,lon`` or the scanning party's registered location) and the coarse client info of
:mod:`traceability.consumer.scans`; then the item's clone signals. docs/consumer.md."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from sqlmodel import Session, col, select

from api.deps import authenticate, bearer_token
from traceability.consumer.models import ConsumerScan
from traceability.consumer.scans import (
    CloneSignal,
    agent_kind,
    client_hash,
    clone_signals,
    item_key,
    parse_loc,
    record_scan,
)
from traceability.identifiers import DigitalLink
from traceability.registry.models import Location, Party
from traceability.resolver import ItemView


def _scanner(request: Request, session: Session) -> tuple[str, str | None]:
    """(anonymous|trade|retailer|regulator, party id): a wrong or missing token is anonymous
    (the page is public; a token only adds weight)."""
    principal = authenticate(request, bearer_token(request.headers.get("authorization")))
    if principal is None:
        return "anonymous", None
    if principal.role in ("regulator", "admin"):
        return "regulator", principal.party_id
    party = session.get(Party, principal.party_id) if principal.party_id else None
    if party is not None and "retailer" in (party.roles or []):
        return "retailer", party.id
    return "trade", principal.party_id


def _party_place(session: Session, party_id: str | None) -> tuple[float, float] | None:
    if not party_id:
        return None
    loc = session.exec(
        select(Location)
        .where(Location.party_id == party_id, col(Location.latitude).is_not(None))
        .order_by(col(Location.id))
        .limit(1)
    ).first()
    if loc is None or loc.latitude is None or loc.longitude is None:
        return None
    return round(loc.latitude, 1), round(loc.longitude, 1)


def record(
    session: Session,
    *,
    request: Request,
    dl: DigitalLink,
    view: ItemView,
    now: datetime,
    salt: bytes,
    lang: str,
) -> list[CloneSignal]:
    """Store the scan; the item's clone signals (serialised items only, else none)."""
    place = parse_loc(dl.extras.get("loc"))  # InvalidInputError (400) when malformed
    scanner, party_id = _scanner(request, session)
    place = place or _party_place(session, party_id)
    key = item_key(view.gtin, view.lot, view.serial)
    address = request.client.host if request.client else None
    record_scan(
        session,
        scan=ConsumerScan(
            item=key,
            gtin=view.gtin,
            scanned_at=now,
            scanner=scanner,
            party_id=party_id,
            client=client_hash(address, salt=salt, at=now),
            agent=agent_kind(request.headers.get("user-agent")),
            lang=lang[:8],
            latitude=place[0] if place else None,
            longitude=place[1] if place else None,
        ),
    )
    if not view.serial:
        return []
    return clone_signals(session, item=key, now=now)
