"""Device enrolment: ``POST /devices``, ``PATCH /devices/{id}``, ``POST /devices/{id}/keys`` and
reads (thin). A device's location, party and status carry authority: creating or changing them
appends a platform-signed ledger entry (``tracectl verify`` step 10).

Producers see their own party's devices and keys only; regulators and admins every party's
(docs/access.md). In production mode the simulators' derived keys are refused
(:func:`traceability.registry.keys.refuse_simulated_key`).
"""

from __future__ import annotations

import binascii

from fastapi import APIRouter, status

from api.deps import (
    AnyRoleDep,
    Limit,
    Offset,
    ProducerDep,
    SessionDep,
    SettingsDep,
    require_party,
    visible_party,
)
from api.jsonbody import StrictJSONRoute
from traceability.authority import service as authority
from traceability.authority.schemas import DeviceUpdate
from traceability.errors import InvalidInputError
from traceability.registry import service as registry
from traceability.registry.models import Device
from traceability.registry.schemas import (
    DeviceCreate,
    DeviceKeyCreate,
    DeviceKeyPublic,
    DevicePublic,
)
from traceability.signing.ed25519 import PUBLIC_KEY_BYTES, b64url_decode

router = APIRouter(route_class=StrictJSONRoute, tags=["devices"])


@router.post("/devices", status_code=status.HTTP_201_CREATED)
def create_device(
    data: DeviceCreate, session: SessionDep, settings: SettingsDep, who: ProducerDep
) -> DevicePublic:
    require_party(who, data.party_id)
    return authority.create_device(session, data_dir=settings.data_dir, data=data, by=who.label)


@router.patch("/devices/{device_id}")
def update_device(
    device_id: str,
    data: DeviceUpdate,
    session: SessionDep,
    settings: SettingsDep,
    who: ProducerDep,
) -> DevicePublic:
    """The device's own party (or admin): move it to another location of that party, or set its
    status (``revoked``: the gateway refuses it). Ledgered."""
    device = registry.get_or_raise(session, Device, device_id, what="device")
    require_party(who, device.party_id)
    return authority.update_device(
        session,
        data_dir=settings.data_dir,
        device_id=device_id,
        location_id=data.location_id,
        status=data.status,
        by=who.label,
    )


@router.get("/devices")
def list_devices(
    session: SessionDep,
    who: AnyRoleDep,
    party_id: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[DevicePublic]:
    party_id = visible_party(who, party_id)
    return registry.list_devices(session, party_id=party_id, limit=limit, offset=offset)


@router.get("/devices/{device_id}")
def get_device(device_id: str, session: SessionDep, who: AnyRoleDep) -> DevicePublic:
    device = registry.get_or_raise(session, Device, device_id, what="device")
    if not who.sees_all_parties:
        require_party(who, device.party_id)
    return DevicePublic.model_validate(device)


@router.post("/devices/{device_id}/keys", status_code=status.HTTP_201_CREATED)
def enroll_key(
    device_id: str,
    data: DeviceKeyCreate,
    session: SessionDep,
    settings: SettingsDep,
    who: ProducerDep,
) -> DeviceKeyPublic:
    device = registry.get_or_raise(session, Device, device_id, what="device")
    require_party(who, device.party_id)
    return registry.enroll_device_key(
        session,
        device_id=device_id,
        public_key=decode_public_key(data.public_key),
        production=settings.mode == "production",
    )


@router.get("/devices/{device_id}/keys")
def list_keys(device_id: str, session: SessionDep, who: AnyRoleDep) -> list[DeviceKeyPublic]:
    device = registry.get_or_raise(session, Device, device_id, what="device")
    if not who.sees_all_parties:
        require_party(who, device.party_id)
    return registry.list_device_keys(session, device_id=device_id)


def decode_public_key(text: str) -> bytes:
    """64 hex digits or base64url (43 characters) -> 32 bytes."""
    try:
        raw = bytes.fromhex(text) if len(text) == 2 * PUBLIC_KEY_BYTES else b64url_decode(text)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != PUBLIC_KEY_BYTES:
        raise InvalidInputError(
            "public_key must be 32 bytes as hex or base64url",
            code="weak_key",
            field="public_key",
            value=text[:80],
        )
    return raw
