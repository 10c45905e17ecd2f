"""Device key lifecycle; every change is also a ledger entry (``key.register``, ``key.rotate``,
``key.revoke``), so ``device_key`` rows are recomputable from the ledger and audited.

A record is judged by the time the platform recorded it (``at``), never by the device's clock.
:func:`key_for` raises :class:`KeyLookupError` whose ``code`` is a gateway dead-letter reason:
``unknown_device``, ``unknown_key`` or ``device_revoked``.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from traceability.errors import InvalidInputError
from traceability.ledger.records import format_time
from traceability.ledger.service import append_entry
from traceability.registry.models import Device, DeviceKey, DeviceStatus
from traceability.signing.ed25519 import check_public_key
from traceability.signing.ed25519 import key_id as derive_key_id

REGISTER, ROTATE, REVOKE = "key.register", "key.rotate", "key.revoke"


class KeyLookupError(InvalidInputError):
    code = "unknown_key"


def _at(at: datetime | None) -> datetime:
    when = at or datetime.now(UTC)
    if when.tzinfo is None:
        raise InvalidInputError("naive datetime refused", field="at")
    return when.astimezone(UTC)


def _device(session: Session, device_id: str) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise KeyLookupError(
            f"unknown device {device_id!r}", code="unknown_device", field="device", value=device_id
        )
    return device


def _body(kind: str, device_id: str, key: DeviceKey, **extra: Any) -> dict[str, Any]:
    return {
        "device": device_id,
        "key_id": key.key_id,
        "public_key": base64.b64encode(key.public_key).decode(),
        "valid_from": format_time(key.valid_from),
        **extra,
    }


def register_key(
    session: Session, *, device_id: str, public_key: bytes, at: datetime | None = None
) -> DeviceKey:
    """Register a device's Ed25519 key (refusing small-order keys), valid from ``at``."""
    check_public_key(public_key)
    _device(session, device_id)
    when = _at(at)
    kid = derive_key_id(public_key)
    if session.get(DeviceKey, kid) is not None:
        raise InvalidInputError(
            f"key {kid} is already registered", code="duplicate_key", field="key_id", value=kid
        )
    key = DeviceKey(key_id=kid, device_id=device_id, public_key=public_key, valid_from=when)
    session.add(key)
    session.flush()
    append_entry(session, kind=REGISTER, body=_body(REGISTER, device_id, key))
    return key


def rotate_key(
    session: Session, *, device_id: str, new_public_key: bytes, at: datetime | None = None
) -> DeviceKey:
    """Register a new key; the device's current keys stay valid until ``at``, then end."""
    check_public_key(new_public_key)
    _device(session, device_id)
    when = _at(at)
    old = session.exec(
        select(DeviceKey).where(
            DeviceKey.device_id == device_id,
            col(DeviceKey.valid_until).is_(None),
            col(DeviceKey.revoked_at).is_(None),
        )
    ).all()
    kid = derive_key_id(new_public_key)
    if session.get(DeviceKey, kid) is not None:
        raise InvalidInputError(
            f"key {kid} is already registered", code="duplicate_key", field="key_id", value=kid
        )
    for k in old:
        k.valid_until = when
        session.add(k)
    key = DeviceKey(key_id=kid, device_id=device_id, public_key=new_public_key, valid_from=when)
    session.add(key)
    session.flush()
    append_entry(
        session,
        kind=ROTATE,
        body=_body(ROTATE, device_id, key, retired=sorted(k.key_id for k in old)),
    )
    return key


def revoke_key(
    session: Session, *, device_id: str, key_id: str, at: datetime, reason: str
) -> DeviceKey:
    """Revoke a key from ``at`` (records recorded at or after ``at`` under it are refused)."""
    _device(session, device_id)
    key = session.get(DeviceKey, key_id)
    if key is None or key.device_id != device_id:
        raise KeyLookupError(
            f"device {device_id!r} has no key {key_id!r}", field="key", value=key_id
        )
    when = _at(at)
    key.revoked_at = when
    key.revoke_reason = reason[:200]
    session.add(key)
    session.flush()
    append_entry(
        session,
        kind=REVOKE,
        body={
            "device": device_id,
            "key_id": key_id,
            "revoked_at": format_time(when),
            "reason": reason,
        },
    )
    return key


def key_for(session: Session, *, key_id: str, device_id: str, at: datetime) -> DeviceKey:
    """The device's key ``key_id`` if it was valid at ``at`` (the platform's recording time)."""
    device = _device(session, device_id)
    when = _at(at)
    key = session.get(DeviceKey, key_id)
    if key is None or key.device_id != device_id:
        raise KeyLookupError(
            f"device {device_id!r} has no key {key_id!r}", field="key", value=key_id
        )
    if device.status == DeviceStatus.revoked:
        raise KeyLookupError(
            f"device {device_id!r} is revoked",
            code="device_revoked",
            field="device",
            value=device_id,
        )
    if key.revoked_at is not None and when >= key.revoked_at:
        raise KeyLookupError(
            f"key {key_id} was revoked at {format_time(key.revoked_at)}",
            code="device_revoked",
            field="key",
            value=key_id,
        )
    if when < key.valid_from or (key.valid_until is not None and when >= key.valid_until):
        raise KeyLookupError(
            f"key {key_id} is not valid at {format_time(when)}", field="key", value=key_id
        )
    return key
