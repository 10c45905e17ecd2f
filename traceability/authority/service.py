"""Registry changes that carry authority: each one changes the row and appends a platform-signed
ledger entry (:mod:`traceability.registry.ledgered`), in the caller's transaction.

What carries authority: a device's bound location, accountable party and status (the gateway
checks where a device's events happen by its location and refuses a revoked device), a
product's owner (who answers for it on the consumer page and in a recall), a party's credit
status (the serious-violation flag custody timelines and verdicts show). Everything the API, the
CLI, the simulators and the demo register or change goes through here; ``tracectl verify``
(step 10) names any row that differs from its latest entry.

``by`` names who asked (``admin``, ``producer:<party>``, ``regulator``, ``cli``, ``demo``); it
is recorded in the entry.
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from traceability.errors import InvalidInputError
from traceability.recall.platform import platform_signer
from traceability.registry import ledgered
from traceability.registry import service as registry
from traceability.registry.models import (
    CreditStatus,
    Device,
    DeviceStatus,
    Location,
    Party,
    Product,
)
from traceability.registry.schemas import (
    DeviceCreate,
    DevicePublic,
    PartyCreate,
    PartyPublic,
    ProductCreate,
    ProductPublic,
)

MAX_BY = 100  # "producer:" + a 64-character party id fits


def _by(by: str) -> str:
    if not by or len(by) > MAX_BY or not by.isprintable():
        raise InvalidInputError(f"by must be 1-{MAX_BY} printable characters", field="by")
    return by


def baseline(session: Session, *, data_dir: Path) -> int:
    """Ledger every registry row that has no entry yet (first start after an upgrade); the
    number of entries appended. Nothing (not even the platform's key) when every row has one.
    :func:`platform_signer` does the same whenever the platform signs."""
    todo = len(ledgered.unledgered(session))
    if todo:
        platform_signer(session, data_dir=data_dir)
    return todo


def create_party(session: Session, *, data_dir: Path, data: PartyCreate, by: str) -> PartyPublic:
    signer = platform_signer(session, data_dir=data_dir)
    out = registry.create_party(session, data=data)
    row = registry.get_or_raise(session, Party, out.id, what="party")
    ledgered.record(session, kind=ledgered.PARTY, row=row, by=_by(by), signer=signer)
    return out


def create_device(session: Session, *, data_dir: Path, data: DeviceCreate, by: str) -> DevicePublic:
    signer = platform_signer(session, data_dir=data_dir)
    out = registry.create_device(session, data=data)
    row = registry.get_or_raise(session, Device, out.id, what="device")
    ledgered.record(session, kind=ledgered.DEVICE, row=row, by=_by(by), signer=signer)
    return out


def create_product(
    session: Session, *, data_dir: Path, data: ProductCreate, by: str
) -> ProductPublic:
    signer = platform_signer(session, data_dir=data_dir)
    out = registry.create_product(session, data=data)
    row = registry.get_or_raise(session, Product, out.gtin, what="product")
    ledgered.record(session, kind=ledgered.PRODUCT, row=row, by=_by(by), signer=signer)
    return out


def update_device(
    session: Session,
    *,
    data_dir: Path,
    device_id: str,
    location_id: str | None = None,
    status: DeviceStatus | None = None,
    by: str,
) -> DevicePublic:
    """Move a device to another registered location (with a GLN/SGLN) and/or set its status
    (``revoked`` makes the gateway refuse it)."""
    by = _by(by)
    if location_id is None and status is None:
        raise InvalidInputError("nothing to change: give location_id or status", field="body")
    signer = platform_signer(session, data_dir=data_dir)
    row = registry.get_or_raise(session, Device, device_id, what="device")
    if location_id is not None:
        loc = registry.get_or_raise(session, Location, location_id, what="location")
        if loc.gln is None and loc.sgln is None:
            raise InvalidInputError(
                f"location {loc.id} has no GLN or SGLN: a device is bound only to an "
                "identified place",
                code="location_without_identifier",
                field="location_id",
                value=location_id,
            )
        row.location_id = location_id
    if status is not None:
        row.status = status
    session.add(row)
    session.flush()
    ledgered.record(session, kind=ledgered.DEVICE, row=row, by=by, signer=signer)
    return DevicePublic.model_validate(row)


def set_product_owner(
    session: Session, *, data_dir: Path, gtin: str, party_id: str, by: str
) -> ProductPublic:
    by = _by(by)
    signer = platform_signer(session, data_dir=data_dir)
    row = registry.get_or_raise(session, Product, gtin, what="product")
    registry.get_or_raise(session, Party, party_id, what="party")
    row.party_id = party_id
    session.add(row)
    session.flush()
    ledgered.record(session, kind=ledgered.PRODUCT, row=row, by=by, signer=signer)
    return ProductPublic.model_validate(row)


def set_party_credit(
    session: Session, *, data_dir: Path, party_id: str, credit_status: CreditStatus, by: str
) -> PartyPublic:
    """Set a party's credit status (``serious_violation``: on the serious-violation list)."""
    by = _by(by)
    signer = platform_signer(session, data_dir=data_dir)
    row = registry.get_or_raise(session, Party, party_id, what="party")
    row.credit_status = credit_status
    session.add(row)
    session.flush()
    ledgered.record(session, kind=ledgered.PARTY, row=row, by=by, signer=signer)
    return PartyPublic.model_validate(row)
