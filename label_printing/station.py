"""The print station: a registered device whose Ed25519 key signs the commissioning records.

Its key lives in ``{data_dir}/label-stations/{station}.key`` (JSON, mode 0600, the same layout
as a device SDK key file), created on first use and refused when others can read it. The station
is registered as a device (kind ``label_printer``) at a location of its party; the key is
registered through :func:`traceability.registry.keys.register_key`, which ledgers a
``key.register`` entry, exactly as an enrolled reader's key is.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from label_printing.errors import LabelInputError
from traceability.errors import ConfigError
from traceability.registry.keys import register_key
from traceability.registry.models import Device, DeviceKey, Location, Party
from traceability.signing import ed25519 as signing

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_PARTY = "local-producer"
DEFAULT_LOCATION = "local-print-room"


@dataclass(frozen=True, slots=True)
class StationKey:
    device_id: str
    seed: bytes
    public_key: bytes

    @property
    def key_id(self) -> str:
        return signing.key_id(self.public_key)


def check_station_id(station: str) -> str:
    if not _ID.match(station):
        raise LabelInputError(
            "station: must be 1-64 letters, digits, '_', '.', '-' (starting with a letter or "
            "digit)",
            field="station",
            value=station[:80],
        )
    return station


def key_path(*, data_dir: Path, station: str) -> Path:
    return data_dir / "label-stations" / f"{check_station_id(station)}.key"


def load_or_create_key(*, data_dir: Path, station: str) -> StationKey:
    """The station's key, created (mode 0600, never overwritten) when missing."""
    path = key_path(data_dir=data_dir, station=station)
    if not path.exists():
        seed, public = signing.generate_keypair()
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "device": station,
            "key_id": signing.key_id(public),
            "alg": "Ed25519",
            "seed": signing.b64url(seed),
            "public_key": signing.b64url(public),
        }
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return load_or_create_key(data_dir=data_dir, station=station)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"station key {path} is accessible by group/others; run: chmod 600 {path}",
            code="key_file_permissions",
            field="key_file",
            value=str(path),
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        seed = signing.b64url_decode(doc["seed"])
        if doc["device"] != station or len(seed) != 32:
            raise ValueError("wrong device or seed")
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"station key {path} is not a valid key file: {exc}", code="key_file", field="key_file"
        ) from None
    return StationKey(
        device_id=station, seed=seed, public_key=signing.public_key_from_seed(seed=seed)
    )


def ensure_station(
    session: Session,
    *,
    key: StationKey,
    party_id: str | None = None,
    location_id: str | None = None,
) -> Device:
    """Register the station device (and a local party/location when none is named) and its
    key, when missing; in the caller's transaction."""
    device = session.get(Device, key.device_id)
    if device is None:
        party = party_id or DEFAULT_PARTY
        location = location_id or (
            DEFAULT_LOCATION if party == DEFAULT_PARTY else f"{party[:52]}-print-room"
        )
        if session.get(Party, party) is None:
            if party_id is not None:
                raise LabelInputError(f"party: unknown party {party_id!r}", field="party")
            session.add(Party(id=party, name="Local producer", roles=["producer"]))
            session.flush()
        if session.get(Location, location) is None:
            if location_id is not None:
                raise LabelInputError(
                    f"location: unknown location {location_id!r}", field="location"
                )
            session.add(Location(id=location, name="Label print room", party_id=party))
            session.flush()
        device = Device(
            id=key.device_id, kind="label_printer", location_id=location, party_id=party
        )
        session.add(device)
        session.flush()
    if session.get(DeviceKey, key.key_id) is None:
        register_key(session, device_id=key.device_id, public_key=key.public_key)
    return device


def read_point(session: Session, *, device: Device) -> str | None:
    """The station location's SGLN, when it has one (the events' read point)."""
    loc = session.get(Location, device.location_id)
    return loc.sgln if loc is not None else None
