"""Names for the ids a trace meets: parties (PGLN), locations (SGLN) and devices, from the
registry, with the party's USCC, credit status and serious-violation flag."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from traceability.identifiers import parse_epc_urn
from traceability.identifiers.errors import IdentifierError
from traceability.registry.models import CreditStatus, Device, Location, Party


def party_info(p: Party | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "id": p.id,
        "name": p.name,
        "uscc": p.uscc,
        "gln": p.gln,
        "gs1_company_prefix": p.gs1_company_prefix,
        "roles": list(p.roles or []),
        "credit_status": str(p.credit_status),
        "serious_violation": p.credit_status == CreditStatus.serious_violation,
    }


def _gln(urn: str, ai: str) -> str | None:
    try:
        return dict(parse_epc_urn(urn).elements).get(ai)
    except IdentifierError:
        return None


def describe(session: Session, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``{id: {"kind", "name", "party": {...}, "location_id"}}`` for PGLN/SGLN ids it knows."""
    ids = sorted(set(ids))
    sglns = [i for i in ids if i.startswith("urn:epc:id:sgln:")]
    pglns = [i for i in ids if i.startswith("urn:epc:id:pgln:")]
    loc_glns = {i: _gln(i, "414") for i in sglns}
    party_glns = {i: _gln(i, "417") for i in pglns}
    locs_by_sgln = {
        loc.sgln: loc
        for loc in session.exec(select(Location).where(col(Location.sgln).in_(sglns))).all()
    }
    glns = [g for g in loc_glns.values() if g]
    locs_by_gln = {
        loc.gln: loc
        for loc in session.exec(select(Location).where(col(Location.gln).in_(glns))).all()
    }
    parties_by_gln = {
        p.gln: p
        for p in session.exec(
            select(Party).where(col(Party.gln).in_([g for g in party_glns.values() if g]))
        ).all()
    }
    party_ids = {loc.party_id for loc in [*locs_by_sgln.values(), *locs_by_gln.values()]}
    parties = {
        p.id: p for p in session.exec(select(Party).where(col(Party.id).in_(party_ids))).all()
    }
    out: dict[str, dict[str, Any]] = {}
    for i in sglns:
        loc = locs_by_sgln.get(i) or locs_by_gln.get(loc_glns[i] or "")
        out[i] = {
            "kind": "location",
            "name": loc.name if loc else None,
            "location_id": loc.id if loc else None,
            "address": loc.address if loc else None,
            "city": loc.city if loc else None,
            "region": loc.region if loc else None,
            "country": loc.country if loc else None,
            "latitude": loc.latitude if loc else None,
            "longitude": loc.longitude if loc else None,
            "party": party_info(parties.get(loc.party_id)) if loc else None,
        }
    for i in pglns:
        p = parties_by_gln.get(party_glns[i] or "")
        out[i] = {"kind": "party", "name": p.name if p else None, "party": party_info(p)}
    return out


def device_parties(session: Session, device_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``{device id: {"device", "kind", "location_id", "party": {...}}}``."""
    devs = session.exec(select(Device).where(col(Device.id).in_(sorted(set(device_ids))))).all()
    parties = {
        p.id: p
        for p in session.exec(
            select(Party).where(col(Party.id).in_({d.party_id for d in devs}))
        ).all()
    }
    return {
        d.id: {
            "device": d.id,
            "kind": d.kind,
            "status": str(d.status),
            "location_id": d.location_id,
            "party": party_info(parties.get(d.party_id)),
        }
        for d in devs
    }
