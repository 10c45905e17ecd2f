"""Registry CRUD: parties, locations, devices (and their keys), products, lots.

Keyword-only functions over a SQLModel session; inputs are ``XCreate`` models, outputs
``XPublic`` models. The caller owns the transaction (``session_scope``). A party whose unified
social credit code fails the GB 32100 check is registered and flagged (``uscc_warning``).
"""

from __future__ import annotations

import importlib
import logging
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from traceability.errors import ConflictError, InvalidInputError, NotFoundError
from traceability.registry.models import (
    Device,
    DeviceKey,
    DeviceStatus,
    Location,
    Lot,
    Party,
    Product,
)
from traceability.registry.prefixes import check_prefix
from traceability.registry.schemas import (
    DeviceCreate,
    DeviceKeyPublic,
    DevicePublic,
    LocationCreate,
    LocationPublic,
    LotCreate,
    LotPublic,
    PartyCreate,
    PartyPublic,
    ProductCreate,
    ProductPublic,
    uscc_problem,
)
from traceability.store.types import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T", bound=SQLModel)
MAX_PAGE = 1000


def get_or_raise(session: Session, model: type[T], key: Any, *, what: str | None = None) -> T:
    """The row of ``model`` with primary key ``key`` or :class:`NotFoundError`."""
    row = session.get(model, key)
    if row is None:
        name = what or model.__name__.lower()
        raise NotFoundError(f"{name} {key!r} is not registered", field=name, value=str(key))
    return row


def _insert(session: Session, model: type[T], key: Any, row: T, what: str) -> T:
    if session.get(model, key) is not None:
        raise ConflictError(f"{what} {key!r} is already registered", field=what, value=str(key))
    session.add(row)
    session.flush()
    return row


def _page(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInputError(
            f"limit must be 1-{MAX_PAGE} and offset >= 0", field="limit", value=limit
        )
    return limit, offset


# ---- parties ----------------------------------------------------------------------------


def create_party(session: Session, *, data: PartyCreate) -> PartyPublic:
    problem = uscc_problem(data.uscc)
    if problem:
        log.warning("party %s: USCC %s %s (registered with a warning)", data.id, data.uscc, problem)
    row = _insert(session, Party, data.id, Party(**data.model_dump()), "party")
    return PartyPublic.model_validate(row)


def get_party(session: Session, *, party_id: str) -> PartyPublic:
    return PartyPublic.model_validate(get_or_raise(session, Party, party_id, what="party"))


def list_parties(session: Session, *, limit: int = 100, offset: int = 0) -> list[PartyPublic]:
    limit, offset = _page(limit, offset)
    rows = session.exec(select(Party).order_by(Party.id).offset(offset).limit(limit)).all()
    return [PartyPublic.model_validate(r) for r in rows]


# ---- locations --------------------------------------------------------------------------


def create_location(session: Session, *, data: LocationCreate) -> LocationPublic:
    get_or_raise(session, Party, data.party_id, what="party")
    if data.sgln is not None:
        clash = session.exec(select(Location).where(Location.sgln == data.sgln)).first()
        if clash is not None:
            raise ConflictError(
                f"SGLN {data.sgln} already belongs to location {clash.id}",
                field="sgln",
                value=data.sgln,
            )
    row = _insert(session, Location, data.id, Location(**data.model_dump()), "location")
    return LocationPublic.model_validate(row)


def list_locations(
    session: Session, *, party_id: str | None = None, limit: int = 100, offset: int = 0
) -> list[LocationPublic]:
    limit, offset = _page(limit, offset)
    q = select(Location).order_by(Location.id)
    if party_id is not None:
        q = q.where(Location.party_id == party_id)
    return [LocationPublic.model_validate(r) for r in session.exec(q.offset(offset).limit(limit))]


# ---- devices ----------------------------------------------------------------------------


def create_device(session: Session, *, data: DeviceCreate) -> DevicePublic:
    get_or_raise(session, Party, data.party_id, what="party")
    # A device may stand at another party's site (a maintenance company's handheld at the
    # owner's building): the binding is to the location, accountability to the device's party.
    loc = get_or_raise(session, Location, data.location_id, what="location")
    if loc.gln is None and loc.sgln is None:
        # a device is bound to a place by its GLN/SGLN: without one, the gateway could not
        # check where the device's events happen (and refuses them; see gateway.validation)
        raise InvalidInputError(
            f"location {loc.id} has no GLN or SGLN: register its GLN (or SGLN) before binding "
            "a device to it",
            code="location_without_identifier",
            field="location_id",
            value=data.location_id,
        )
    row = _insert(session, Device, data.id, Device(**data.model_dump()), "device")
    return DevicePublic.model_validate(row)


def list_devices(
    session: Session, *, party_id: str | None = None, limit: int = 100, offset: int = 0
) -> list[DevicePublic]:
    limit, offset = _page(limit, offset)
    q = select(Device).order_by(Device.id)
    if party_id is not None:
        q = q.where(Device.party_id == party_id)
    return [DevicePublic.model_validate(r) for r in session.exec(q.offset(offset).limit(limit))]


def enroll_device_key(
    session: Session,
    *,
    device_id: str,
    public_key: bytes,
    at: datetime | None = None,
    production: bool | None = None,
) -> DeviceKeyPublic:
    """Register a device's public key: through ``registry.keys.register_key`` (which also writes
    the ledger's key-lifecycle entry) when it is available, else a plain validated insert."""
    get_or_raise(session, Device, device_id, what="device")
    from traceability.signing import ed25519 as signing

    kid = signing.key_id(public_key)
    existing = session.get(DeviceKey, kid)
    if existing is not None:
        raise ConflictError(
            f"key {kid} is already registered (device {existing.device_id})",
            field="key_id",
            value=kid,
        )
    register_key = _shared_register_key()
    if register_key is not None:
        result = register_key(
            session, device_id=device_id, public_key=public_key, at=at, production=production
        )
        return DeviceKeyPublic.model_validate(result)
    signing.check_public_key(public_key)
    from traceability.registry.keys import refuse_simulated_key

    refuse_simulated_key(device_id=device_id, public_key=public_key, production=production)
    row = DeviceKey(
        key_id=kid, device_id=device_id, public_key=public_key, valid_from=at or utcnow()
    )
    return DeviceKeyPublic.model_validate(_insert(session, DeviceKey, kid, row, "device_key"))


def _shared_register_key() -> Any:
    try:
        module = importlib.import_module("traceability.registry.keys")
    except ImportError:
        return None
    return getattr(module, "register_key", None)


def list_device_keys(session: Session, *, device_id: str) -> list[DeviceKeyPublic]:
    get_or_raise(session, Device, device_id, what="device")
    rows = session.exec(
        select(DeviceKey)
        .where(DeviceKey.device_id == device_id)
        .order_by(col(DeviceKey.valid_from))
    ).all()
    return [DeviceKeyPublic.model_validate(r) for r in rows]


# ---- products and lots ------------------------------------------------------------------


def create_product(session: Session, *, data: ProductCreate) -> ProductPublic:
    party = get_or_raise(session, Party, data.party_id, what="party")
    check_prefix(party, gtin=data.gtin)
    row = _insert(session, Product, data.gtin, Product(**data.model_dump()), "product")
    return ProductPublic.model_validate(row)


def list_products(
    session: Session,
    *,
    category: str | None = None,
    party_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ProductPublic]:
    limit, offset = _page(limit, offset)
    q = select(Product).order_by(Product.gtin)
    if category is not None:
        q = q.where(Product.category == category)
    if party_id is not None:
        q = q.where(Product.party_id == party_id)
    return [ProductPublic.model_validate(r) for r in session.exec(q.offset(offset).limit(limit))]


def create_lot(session: Session, *, data: LotCreate) -> LotPublic:
    get_or_raise(session, Product, data.gtin, what="product")
    if data.expires_on and data.produced_on and data.expires_on < data.produced_on:
        raise InvalidInputError(
            "a lot cannot expire before it was produced",
            field="expires_on",
            value=str(data.expires_on),
        )
    row = _insert(session, Lot, (data.gtin, data.lot), Lot(**data.model_dump()), "lot")
    return LotPublic.model_validate(row)


def list_lots(
    session: Session, *, gtin: str | None = None, limit: int = 100, offset: int = 0
) -> list[LotPublic]:
    limit, offset = _page(limit, offset)
    q = select(Lot).order_by(Lot.gtin, Lot.lot)
    if gtin is not None:
        q = q.where(Lot.gtin == gtin)
    return [LotPublic.model_validate(r) for r in session.exec(q.offset(offset).limit(limit))]


def revoke_device(
    session: Session, *, device_id: str, reason: str, at: datetime | None = None
) -> DevicePublic:
    """Revoke a device: its status becomes ``revoked`` (the gateway refuses it at once) and each
    of its keys still valid is revoked through the ledger (``key.revoke`` entries)."""
    from traceability.registry.keys import revoke_key

    device = get_or_raise(session, Device, device_id, what="device")
    if device.status == DeviceStatus.revoked:
        raise ConflictError(
            f"device {device_id} is already revoked", field="device_id", value=device_id
        )
    when = at or utcnow()
    live = session.exec(
        select(DeviceKey).where(
            DeviceKey.device_id == device_id, col(DeviceKey.revoked_at).is_(None)
        )
    ).all()
    for key in live:
        revoke_key(session, device_id=device_id, key_id=key.key_id, at=when, reason=reason[:200])
    device.status = DeviceStatus.revoked
    session.add(device)
    session.flush()
    return DevicePublic.model_validate(device)
