"""Building a small ledger for tests: a device with a registered key and signed envelopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from traceability import events
from traceability.ledger.service import AppendResult, EventSubmission, append_events
from traceability.registry.keys import register_key
from traceability.registry.models import Device, Location, Party
from traceability.signing import ed25519 as signing
from traceability.signing import envelope as env

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def setup_device(session: Session, device_id: str = "dev-1") -> tuple[bytes, str]:
    party = Party.__table__  # type: ignore[attr-defined]
    if session.execute(sa.select(party.c.id).where(party.c.id == "p1")).first() is None:
        # the columns every schema revision has (tests fill stores at older revisions too)
        session.execute(
            sa.insert(party).values(
                id="p1", name="Farm", roles=[], credit_status="good", created_at=T0
            )
        )
        session.add(Location(id="l1", name="Gate", party_id="p1"))
        session.flush()
    session.add(Device(id=device_id, location_id="l1", party_id="p1"))
    session.flush()
    seed, pub = signing.generate_keypair()
    register_key(session, device_id=device_id, public_key=pub, at=T0 - timedelta(days=1))
    return seed, signing.key_id(pub)


def event(i: int, *, items: int = 3) -> dict[str, Any]:
    kinds = i % 3
    if kinds == 0:
        return {
            "type": "ObjectEvent",
            "eventTime": f"2026-11-27T08:{i % 60:02d}:00.000+08:00",
            "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE",
            "epcList": [f"urn:epc:id:sgtin:0614141.812345.{i % items}"],
            "bizStep": "shipping",
            "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
            "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:1"}],
            "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:2"}],
        }
    if kinds == 1:
        return {
            "type": "AggregationEvent",
            "eventTime": "2026-11-27T09:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "action": "ADD",
            "parentID": f"urn:epc:id:sscc:0614141.{i:010d}",
            "childEPCs": [f"urn:epc:id:sgtin:0614141.812345.{(i + 1) % items}"],
            "bizLocation": {"id": "urn:epc:id:sgln:0614141.00888.0"},
        }
    return {
        "type": "TransformationEvent",
        "eventTime": "2026-11-27T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "inputEPCList": [f"urn:epc:id:sgtin:0614141.812345.{i % items}"],
        "outputQuantityList": [
            {"epcClass": f"urn:epc:class:lgtin:0614141.812346.L{i}", "quantity": 2}
        ],
    }


def event_hash(ev: dict[str, Any]) -> str:
    """The CBV 2.0 event hash (the audit recomputes it from the envelope)."""
    return events.event_hash(ev)


def submissions(
    seed: bytes, kid: str, events: list[dict[str, Any]], *, seq: int = 1, device: str = "dev-1"
) -> list[EventSubmission]:
    e = env.Envelope.from_json(
        env.build(device=device, key_id=kid, seed=seed, seq=seq, events=events)
    )
    return [
        EventSubmission(event=x, event_hash=event_hash(x), envelope=e, device_id=device, key_id=kid)
        for x in e.events
    ]


def fill(
    session: Session, n: int = 12, per_envelope: int = 4
) -> tuple[bytes, str, list[AppendResult]]:
    seed, kid = setup_device(session)
    out: list[AppendResult] = []
    for k in range(0, n, per_envelope):
        subs = submissions(
            seed, kid, [event(i) for i in range(k, min(n, k + per_envelope))], seq=k + 1
        )
        out += append_events(session, submissions=subs, recorded_at=T0 + timedelta(minutes=k))
    session.commit()
    return seed, kid, out
