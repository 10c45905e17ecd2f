"""The platform's own signing device, for events it records on someone's behalf (recalls).

The platform is a registered party (``suyuan-platform``) with one location and one device
(``suyuan-platform``); the device's Ed25519 seed is kept in ``<data_dir>/platform/device.key``
(mode 0600, created on first use) and its public key is registered through the ledger's
``key.register`` entry like any device's, so the audit checks the platform's signatures the
same way. Events are signed into an envelope and appended with the ledger's append API.

The same key signs the registry entries (:mod:`traceability.registry.ledgered`):
:func:`ensure_platform` ledgers a baseline of every registry row that has no entry yet (the
platform's own rows included), so an upgraded store is covered from its first signed action.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from traceability.errors import ConfigError
from traceability.events import event_hash
from traceability.ledger.audit.recall import PLATFORM_DEVICE
from traceability.ledger.service import EventSubmission, append_events
from traceability.registry import ledgered
from traceability.registry.keys import register_key
from traceability.registry.models import Device, DeviceKey, Location, Party
from traceability.signing import ed25519 as signing
from traceability.signing import envelope as env

PLATFORM_PARTY = "suyuan-platform"
PLATFORM_LOCATION = "suyuan-platform"
KEY_FILE = Path("platform") / "device.key"


def _seed(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise ConfigError(
                f"{path} is readable by others (want mode 0600)", field="platform_key"
            )
        raw = path.read_bytes().strip()
        try:
            seed = bytes.fromhex(raw.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            seed = b""
        if len(seed) != 32:
            raise ConfigError(f"{path} does not hold a 32-byte hex seed", field="platform_key")
        return seed
    path.parent.mkdir(parents=True, exist_ok=True)
    seed, _ = signing.generate_keypair()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(seed.hex() + "\n")
    return seed


def platform_secret(data_dir: Path, *, purpose: str) -> bytes:
    """A 32-byte secret for ``purpose`` derived from the platform device's seed (e.g. the key
    that authenticates EPCIS page tokens); creates the seed on first use."""
    return hashlib.sha256(
        b"suyuan platform secret\x00" + purpose.encode() + b"\x00" + _seed(data_dir)
    ).digest()


def ensure_platform(session: Session, *, data_dir: Path) -> tuple[bytes, str]:
    """The platform device's (seed, key id), registering party/location/device/key if new."""
    seed = _seed(data_dir)
    public = signing.public_key_from_seed(seed=seed)
    if session.get(Party, PLATFORM_PARTY) is None:
        session.add(Party(id=PLATFORM_PARTY, name="Suyuan platform", roles=["platform"]))
        session.flush()
    if session.get(Location, PLATFORM_LOCATION) is None:
        session.add(Location(id=PLATFORM_LOCATION, name="Suyuan platform", party_id=PLATFORM_PARTY))
        session.flush()
    if session.get(Device, PLATFORM_DEVICE) is None:
        session.add(
            Device(
                id=PLATFORM_DEVICE,
                kind="platform",
                location_id=PLATFORM_LOCATION,
                party_id=PLATFORM_PARTY,
            )
        )
        session.flush()
    kid = signing.key_id(public)
    if session.get(DeviceKey, kid) is None:
        current = session.exec(
            select(DeviceKey).where(
                DeviceKey.device_id == PLATFORM_DEVICE, col(DeviceKey.revoked_at).is_(None)
            )
        ).first()
        if current is not None:
            raise ConfigError(
                f"the platform device has key {current.key_id} but {data_dir / KEY_FILE} "
                f"holds {kid}",
                field="platform_key",
            )
        register_key(session, device_id=PLATFORM_DEVICE, public_key=public)
    ledgered.baseline(session, signer=ledgered.Signer(seed, kid))
    return seed, kid


def platform_signer(session: Session, *, data_dir: Path) -> ledgered.Signer:
    """The platform's signer for registry entries (registering the platform if new)."""
    seed, kid = ensure_platform(session, data_dir=data_dir)
    return ledgered.Signer(seed, kid)


def record_event(
    session: Session, *, data_dir: Path, event: dict[str, Any], at: datetime | None = None
) -> tuple[str, int]:
    """Sign ``event`` as the platform and append it; returns (event hash, ledger index)."""
    seed, kid = ensure_platform(session, data_dir=data_dir)
    when = (at or datetime.now(UTC)).astimezone(UTC)
    payload = env.build(
        device=PLATFORM_DEVICE,
        key_id=kid,
        seed=seed,
        seq=time.time_ns(),
        events=[event],
        sent_at=when,
    )
    envelope = env.Envelope.from_json(payload)
    ev = envelope.events[0]
    h = event_hash(ev)
    [res] = append_events(
        session,
        submissions=[
            EventSubmission(
                event=ev,
                event_hash=h,
                envelope=envelope,
                device_id=PLATFORM_DEVICE,
                key_id=kid,
                position=0,
            )
        ],
    )
    return h, res.index
