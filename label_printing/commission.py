"""Commissioning records: EPCIS events signed with the print station's key, ledgered.

What ingest does for a reader, without MQTT: the events go into an envelope signed with the
station's Ed25519 key (:func:`traceability.signing.envelope.build`); the envelope is parsed
back, its signature verified against the key the registry holds for the station now
(:func:`traceability.registry.keys.key_for`), every event validated
(:func:`traceability.events.validate_event`) and hashed, and the batch appended with
:func:`traceability.ledger.service.append_events` -- in the caller's transaction, so the label
states change in the same commit as the ledger records.

Events (one per chunk of serials):

- printing: ``ObjectEvent`` ``ADD``, bizStep ``commissioning``, disposition ``active``, the SGTIN
  EPCs, ``ilmd`` with the lot and expiry;
- reprint: ``ObjectEvent`` ``OBSERVE`` with bizStep :data:`REPRINT_BIZSTEP` and the extension
  ``suyuan:labelPrint`` = ``{"kind": "reprint", "run": ...}`` -- the items exist already, a
  reprint is not a new commissioning;
- void: ``ObjectEvent`` ``DELETE``, bizStep ``decommissioning``, disposition ``inactive``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from label_printing.errors import LabelInputError
from label_printing.station import StationKey
from traceability.errors import VerificationError
from traceability.events import event_hash, validate_event
from traceability.identifiers import epc_urn_from_elements
from traceability.ledger.service import AppendResult, EventSubmission, append_events
from traceability.registry.keys import key_for
from traceability.signing import envelope as env

NAMESPACE = "urn:suyuan:ns:label:"
CONTEXT = [{"suyuan": NAMESPACE}]
REPRINT_BIZSTEP = "urn:suyuan:bizstep:label_reprint"


def sgtin(gtin: str, serial: str, cp_len: int | None = None) -> str:
    """The SGTIN URN of a label; ``cp_len`` is the product's company-prefix length
    (:func:`traceability.registry.prefixes.product_prefix_length`: its party's registered
    prefix, else the prefix table), ``None``: the table's."""
    return epc_urn_from_elements([("01", gtin), ("21", serial)], cp_len)


def _now() -> tuple[str, datetime]:
    when = datetime.now(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z", when


def _base(epcs: list[str], when: str, read_point: str | None) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": when,
        "eventTimeZoneOffset": "+00:00",
        "epcList": epcs,
    }
    if read_point:
        ev["readPoint"] = {"id": read_point}
    return ev


def commissioning_event(
    *,
    gtin: str,
    serials: list[str],
    lot: str,
    expiry: str,
    read_point: str | None = None,
    cp_len: int | None = None,
) -> dict[str, Any]:
    when, _ = _now()
    ev = _base([sgtin(gtin, s, cp_len) for s in serials], when, read_point)
    ev.update(
        action="ADD",
        bizStep="commissioning",
        disposition="active",
        ilmd={"cbvmda:lotNumber": lot, "cbvmda:itemExpirationDate": expiry},
    )
    return ev


def reprint_event(
    *,
    gtin: str,
    serials: list[str],
    run_id: str,
    read_point: str | None = None,
    cp_len: int | None = None,
) -> dict[str, Any]:
    when, _ = _now()
    ev = _base([sgtin(gtin, s, cp_len) for s in serials], when, read_point)
    ev.update(
        {
            "@context": CONTEXT,
            "action": "OBSERVE",
            "bizStep": REPRINT_BIZSTEP,
            "suyuan:labelPrint": {"kind": "reprint", "run": run_id},
        }
    )
    return ev


def decommission_event(
    *, gtin: str, serials: list[str], read_point: str | None = None, cp_len: int | None = None
) -> dict[str, Any]:
    when, _ = _now()
    ev = _base([sgtin(gtin, s, cp_len) for s in serials], when, read_point)
    ev.update(action="DELETE", bizStep="decommissioning", disposition="inactive")
    return ev


def record(
    session: Session, *, station: StationKey, events: list[dict[str, Any]]
) -> list[AppendResult]:
    """Sign ``events`` as one envelope of the station, check it as ingest does, append it."""
    for i, ev in enumerate(events):
        issues = validate_event(ev, index=i)
        if issues:
            raise LabelInputError(f"commissioning event invalid: {issues[0]}", field="event")
    _, when = _now()
    payload = env.build(
        device=station.device_id,
        key_id=station.key_id,
        seed=station.seed,
        seq=time.time_ns(),
        events=events,
        sent_at=when,
    )
    envelope = env.Envelope.from_json(payload, max_bytes=16 * 1024 * 1024)
    key = key_for(session, key_id=station.key_id, device_id=station.device_id, at=when)
    if key.public_key != station.public_key:
        raise VerificationError("station key does not match the registry", field="key")
    signed = envelope.signing_bytes()
    env.verify_signature(envelope, public_key=key.public_key)
    subs = [
        EventSubmission(
            event=ev,
            event_hash=event_hash(ev),
            envelope=envelope,
            device_id=station.device_id,
            key_id=station.key_id,
            position=i,
            envelope_bytes=signed,
        )
        for i, ev in enumerate(envelope.events)
    ]
    return append_events(session, submissions=subs, recorded_at=when)
